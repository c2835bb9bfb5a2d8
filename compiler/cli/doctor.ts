import { Option, type Command } from 'commander';
import type { XlstmDevice } from '../../runtime/device.js';
import { acquireNodeDevice, type NodeDeviceMode } from '../../runtime/device-node.js';
import { LOOP_PROBE_ITERATIONS } from '../../runtime/quirks.js';

const MODES: readonly NodeDeviceMode[] = ['auto', 'native', 'cpu-gl'];

/**
 * `xlstm doctor`: which WebGPU device the runtime gets here and what it can do, including the
 * loop-cap probe the kernel planner depends on. Exits 1 (with what to install) when there is none.
 */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('show the WebGPU adapter, backend, limits, features and driver quirks the runtime will use')
    .addOption(new Option('--device <mode>', 'which backend to try').choices(MODES).default('auto'))
    .action(async (opts: { device: NodeDeviceMode }) => {
      const attempts: string[] = [];
      const started = performance.now();
      const dev = await acquireNodeDevice({ mode: opts.device, verbose: (line) => attempts.push(line) });
      const acquiredMs = performance.now() - started;
      try {
        process.stdout.write(report(dev, attempts, acquiredMs));
      } finally {
        dev.destroy();
      }
    });
}

function report(dev: XlstmDevice, attempts: string[], acquiredMs: number): string {
  const { adapterInfo: info, quirks } = dev;
  const cap = quirks.maxLoopIterationsPerInvocation;
  const rows: [string, string][] = [
    ['adapter', info.device || '(unnamed)'],
    ['vendor', info.vendor || '-'],
    ['architecture', info.architecture || '-'],
    ['description', info.description || '-'],
    ['backend', dev.backend],
    ['feature level', dev.featureLevel],
    ['features', dev.features.join(', ') || '(none)'],
    [
      'loop cap',
      cap === Infinity
        ? `none found (a loop of ${LOOP_PROBE_ITERATIONS} iterations completed)`
        : `${cap} loop iterations per invocation; longer loops stop silently, so kernels split their work`,
    ],
    ['probe time', `${quirks.probeMs.toFixed(1)} ms`],
    ['acquired in', `${acquiredMs.toFixed(0)} ms`],
  ];
  const lines = table(rows);
  if (attempts.length) lines.push('', 'attempts', ...attempts.map((a) => `  ${a}`));
  const limits = Object.entries(dev.limits).sort(([a], [b]) => a.localeCompare(b));
  lines.push('', 'limits', ...table(limits.map(([name, value]) => [name, String(value)])).map((l) => `  ${l}`));
  return `${lines.join('\n')}\n`;
}

function table(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
}
