/**
 * Progress on a stream: on a terminal one line redrawn in place (`\r`, at most ~10 times a
 * second), elsewhere a plain line every `every` steps, after evaluations and at the last step.
 */
import { progressBarLine, progressPlainLine } from './progress.js';
import type { StepRecord } from './trainer.js';

export interface ProgressReporter {
  update(r: StepRecord): void;
  /** A line of its own (a note or warning) without garbling the progress line. */
  note(line: string): void;
  /** Ends the progress line. */
  finish(): void;
}

const REDRAW_MS = 100;
const CLEAR_LINE = '\r\x1b[K';

export function createProgressReporter(stream: NodeJS.WriteStream, total: number, every: number): ProgressReporter {
  if (stream.isTTY !== true) {
    return {
      update: (r) => {
        if (r.step % every === 0 || r.step === total || r.valLoss !== undefined) stream.write(`${progressPlainLine(r, total)}\n`);
      },
      note: (line) => stream.write(`${line}\n`),
      finish: () => undefined,
    };
  }
  let shown = '';
  let lastDraw = -Infinity;
  const draw = (text: string) => {
    shown = text;
    stream.write(`${CLEAR_LINE}${text}`);
  };
  return {
    update: (r) => {
      const now = performance.now();
      if (now - lastDraw < REDRAW_MS && r.step !== total && r.valLoss === undefined) return;
      lastDraw = now;
      draw(progressBarLine(r, total, stream.columns || 80));
    },
    note: (line) => {
      stream.write(`${CLEAR_LINE}${line}\n`);
      if (shown !== '') stream.write(shown);
    },
    finish: () => {
      if (shown !== '') stream.write('\n');
      shown = '';
    },
  };
}
