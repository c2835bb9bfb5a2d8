import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../../runtime/train/metrics.js';
import { createProgressReporter } from '../../../runtime/train/progress-node.js';
import { progressBarLine, progressPlainLine } from '../../../runtime/train/progress.js';
import type { StepRecord } from '../../../runtime/train/trainer.js';

const record: StepRecord = { step: 12, loss: 3.21403, lr: 0.0015, gradNorm: 0.8312, tokensPerSecond: 1234.4, elapsedSeconds: 75, etaSeconds: 83 };

function stream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = { isTTY, columns: 100, text: '', write: (t: string) => ((s.text += t), true) };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

describe('progress output', () => {
  it('formats durations', () => {
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(7620)).toBe('2h07m');
  });

  it('draws a bar line with step, loss, throughput and ETA that fits the terminal', () => {
    const line = progressBarLine(record, 48, 100);
    expect(line).toBe('step 12/48 [########......................] loss 3.2140 · 1234 tok/s · ETA 1m23s');
    for (const columns of [20, 40, 60]) expect(progressBarLine(record, 48, columns).length).toBeLessThan(columns);
  });

  it('writes plain lines with every field', () => {
    expect(progressPlainLine({ ...record, valLoss: 3.1 }, 48)).toBe(
      'step 12/48  loss 3.2140  val 3.1000  lr 1.50e-3  grad norm 0.831  1234 tok/s  elapsed 1m15s  ETA 1m23s',
    );
  });

  it('prints every n-th step, evaluations and the last step when not on a terminal', () => {
    const out = stream(false);
    const reporter = createProgressReporter(out, 10, 4);
    for (let step = 1; step <= 10; step++) reporter.update({ ...record, step, ...(step === 5 ? { valLoss: 3 } : {}) });
    reporter.finish();
    expect(out.text.trim().split('\n').map((l) => l.split('  ')[0])).toEqual(['step 4/10', 'step 5/10', 'step 8/10', 'step 10/10']);
  });

  it('redraws one line in place on a terminal and keeps notes on lines of their own', () => {
    const out = stream(true);
    const reporter = createProgressReporter(out, 10, 4);
    reporter.update({ ...record, step: 1 });
    reporter.note('a note');
    reporter.update({ ...record, step: 10 });
    reporter.finish();
    const [first, last] = [1, 10].map((step) => progressBarLine({ ...record, step }, 10, 100));
    expect(out.text).toBe(`\r\x1b[K${first}\r\x1b[Ka note\n${first}\r\x1b[K${last}\n`);
  });
});
