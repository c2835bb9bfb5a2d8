import { describe, expect, it } from 'vitest';
import { endMarker, metricLegend, replaceSection, reproduceCommand, resultsTable, startMarker } from '../../examples/tasks/results-table.js';
import type { TaskReport } from '../../runtime/tasks/task-job.js';

function report(o: Partial<TaskReport>): TaskReport {
  return {
    task: 'parity',
    model: 'M',
    architecture: 'xLSTM[0:1]',
    blocks: 2,
    parameters: 10544,
    backend: 'reference',
    seed: 0,
    steps: 300,
    batch: 16,
    lr: 0.01,
    trainLength: 16,
    evalLength: 64,
    evalCount: 256,
    loss: 0.00012,
    evalLoss: 0.5,
    metrics: [
      { name: 'in-distribution', description: 'prefixes of length 1-16', correct: 3, total: 4, accuracy: 0.75 },
      { name: 'extrapolation', description: 'prefixes of length 17-64', correct: 1, total: 8, accuracy: 0.125 },
    ],
    seconds: 27.6,
    ...o,
  };
}

describe('results table', () => {
  const run = { task: 'parity' as const, file: 'examples/tasks/parity-slstm.xlstm', seed: 1 };

  it('has a row per run with the accuracies as percentages', () => {
    const table = resultsTable([run, { ...run, seed: 2 }], [report({ seed: 1 }), report({ seed: 2, architecture: 'xLSTM[1:1]' })]);
    expect(table.split('\n')).toEqual([
      '| model | blocks | params | seed | steps | train loss | eval loss | in-distribution acc. | extrapolation acc. | time |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      '| `parity-slstm.xlstm` xLSTM[0:1] | 2 | 10,544 | 1 | 300 | 1.2e-4 | 0.5000 | 75.0% | 12.5% | 28s |',
      '| `parity-slstm.xlstm` xLSTM[1:1] | 2 | 10,544 | 2 | 300 | 1.2e-4 | 0.5000 | 75.0% | 12.5% | 28s |',
    ]);
    expect(metricLegend(report({}))).toBe('- in-distribution: prefixes of length 1-16\n- extrapolation: prefixes of length 17-64');
    expect(reproduceCommand(run)).toBe('xlstm task parity examples/tasks/parity-slstm.xlstm --seed 1');
    expect(() => resultsTable([run], [])).toThrow(RangeError);
  });

  it('replaces only its own section of the README', () => {
    const readme = `# T\n${startMarker('parity')}\nold\n${endMarker('parity')}\nkept\n${startMarker('mqar')}\nother\n${endMarker('mqar')}\n`;
    expect(replaceSection(readme, 'parity', 'new')).toBe(`# T\n${startMarker('parity')}\nnew\n${endMarker('parity')}\nkept\n${startMarker('mqar')}\nother\n${endMarker('mqar')}\n`);
    expect(() => replaceSection('# no markers', 'mqar', 'x')).toThrow(/no <!-- mqar-results:start -->/);
  });
});
