import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UserError } from '../../runtime/errors.js';
import { writeFileAtomic } from '../../runtime/io/atomic-write-node.js';
import { lowerModel } from '../ir/lower.js';
import { printIr } from '../ir/print.js';
import { assertValidIr } from '../ir/verify.js';
import type { MlstmForm } from '../ir/types.js';
import type { ModelSpec } from '../spec.js';
import { checkModelFile, selectSomeModels } from './select-model.js';

/** What `compile` can produce; only the IR exists so far, the WGSL/TypeScript emitter comes later. */
const EMIT_KINDS = ['module', 'wgsl', 'ts', 'ir'] as const;
type EmitKind = (typeof EMIT_KINDS)[number];

interface CompileOptions {
  out?: string;
  emit: EmitKind;
  model?: string;
  batch?: number;
  seq?: number;
  mlstmForm: MlstmForm;
}

function positiveInt(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number.');
  return n;
}

/** The IR text of one model, at the requested or the model's own training batch and sequence length. */
function irText(spec: ModelSpec, opts: CompileOptions): string {
  const ir = lowerModel(spec, { batch: opts.batch ?? spec.train.batch, seqLen: opts.seq ?? spec.train.seqLen, mlstmForm: opts.mlstmForm });
  assertValidIr(ir);
  return printIr(ir);
}

async function compile(file: string, opts: CompileOptions): Promise<void> {
  if (opts.emit !== 'ir') {
    throw new UserError(`--emit ${opts.emit} is not available yet (the WGSL/TypeScript emitter is still being written); use --emit ir`);
  }
  const result = checkModelFile(file, 'nothing compiled');

  // lower everything before writing anything: a model that fails leaves no partial output behind
  const texts = selectSomeModels(result, opts.model, file).map((spec) => ({ name: spec.name, text: irText(spec, opts) }));
  if (opts.out === undefined) {
    process.stdout.write(texts.map((t) => t.text).join('\n'));
    return;
  }
  try {
    await mkdir(opts.out, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : code === 'EACCES' ? 'permission denied' : (code ?? String(e));
    throw new UserError(`${opts.out}: cannot create the output directory (${why})`);
  }
  for (const t of texts) {
    const path = join(opts.out, `${t.name}.ir.txt`);
    await writeFileAtomic(path, t.text);
    process.stderr.write(`wrote ${path}\n`);
  }
}

export function registerCompileCommand(program: Command): void {
  program
    .command('compile')
    .description('Compile the models of a .xlstm file (for now: --emit ir prints or writes their IR)')
    .argument('<file>', '.xlstm source file')
    .option('-o, --out <dir>', 'write <dir>/<model>.ir.txt instead of printing')
    .addOption(new Option('--emit <kind>', 'what to produce').choices(EMIT_KINDS).default('module'))
    .option('--model <name>', 'only this model of the file')
    .option('--batch <n>', 'static batch size of the IR (default: the model\'s train batch)', positiveInt)
    .option('--seq <n>', 'static sequence length of the IR (default: the model\'s train sequence length)', positiveInt)
    .addOption(new Option('--mlstm-form <form>', 'how mLSTM cells are evaluated').choices(['parallel', 'chunkwise', 'recurrent']).default('parallel'))
    .action((file: string, opts: CompileOptions) => compile(file, opts));
}
