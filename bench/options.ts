import { parseArgs } from 'node:util';
import type { NodeDeviceMode } from '../runtime/device-node.js';
import { UserError } from '../runtime/errors.js';

/** What `npm run bench` can measure; `--only` picks one. */
export const SECTIONS = ['forward', 'generate', 'train', 'compile', 'kernels'] as const;
export type Section = (typeof SECTIONS)[number];

const DEVICE_MODES: readonly NodeDeviceMode[] = ['auto', 'native', 'cpu-gl'];

export interface BenchOptions {
  /** Fewer iterations (CI smoke): numbers are rough. */
  quick: boolean;
  /** Measure only this; undefined: everything. */
  only?: Section;
  device: NodeDeviceMode;
  /** Also write the results as JSON here (atomically). */
  json?: string;
  /** Print the usage and measure nothing. */
  help: boolean;
}

export const USAGE = `usage: npm run bench -- [--quick] [--only ${SECTIONS.join('|')}] [--device ${DEVICE_MODES.join('|')}] [--json FILE]`;

/** The bench's command line; a mistake is a UserError with exit code 2 (usage). */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let values: { quick?: boolean; only?: string; device?: string; json?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean' },
        only: { type: 'string' },
        device: { type: 'string' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UserError(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`, 2);
  }
  const only = values.only;
  if (only !== undefined && !(SECTIONS as readonly string[]).includes(only)) {
    throw new UserError(`--only takes one of ${SECTIONS.join(', ')}; got '${only}'`, 2);
  }
  const device = values.device ?? 'auto';
  if (!(DEVICE_MODES as readonly string[]).includes(device)) throw new UserError(`--device takes one of ${DEVICE_MODES.join(', ')}; got '${device}'`, 2);
  if (values.json === '') throw new UserError('--json needs a file name', 2);
  return {
    quick: values.quick === true,
    help: values.help === true,
    ...(only !== undefined ? { only: only as Section } : {}),
    device: device as NodeDeviceMode,
    ...(values.json !== undefined ? { json: values.json } : {}),
  };
}

/** Whether a run with these options measures `section`. */
export function wants(options: Pick<BenchOptions, 'only'>, section: Section): boolean {
  return options.only === undefined || options.only === section;
}
