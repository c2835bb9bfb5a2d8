import { InvalidArgumentError, Option, type Command } from 'commander';
import { UserError } from '../../runtime/errors.js';
import { DEFAULT_RUNTIME_IMPORT, emitModel, kebabCase, writeFilesAtomically, type EmittedFile, type ModulePlatform } from '../emit/index.js';
import { lowerModel } from '../ir/lower.js';
import { printIr } from '../ir/print.js';
import { assertValidIr } from '../ir/verify.js';
import type { MlstmForm } from '../ir/types.js';
import type { ModelSpec } from '../spec.js';
import { checkModelFile, selectSomeModels } from './select-model.js';

const EMIT_KINDS = ['module', 'ts', 'wgsl', 'ir', 'plan'] as const;
type EmitKind = (typeof EMIT_KINDS)[number];
const PLATFORMS: readonly ModulePlatform[] = ['node', 'browser'];

interface CompileOptions {
  out?: string;
  emit: EmitKind;
  model?: string;
  batch?: number;
  seq?: number;
  mlstmForm: MlstmForm;
  platform: ModulePlatform;
  runtimeImport?: string;
}

function positiveInt(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number.');
  return n;
}

/** The IR text of one model, at the requested or the model's own training batch and sequence length. */
function irFile(spec: ModelSpec, opts: CompileOptions): EmittedFile {
  const ir = lowerModel(spec, { batch: opts.batch ?? spec.train.batch, seqLen: opts.seq ?? spec.train.seqLen, mlstmForm: opts.mlstmForm });
  assertValidIr(ir);
  return { path: `${spec.name}.ir.txt`, text: printIr(ir) };
}

async function modelFiles(spec: ModelSpec, opts: CompileOptions, sources: ReadonlyMap<string, string>): Promise<EmittedFile[]> {
  if (opts.emit === 'ir') return [irFile(spec, opts)];
  const { files, notes } = await emitModel(spec, {
    kind: opts.emit,
    shapes: { batch: opts.batch ?? spec.train.batch, seqLen: opts.seq ?? spec.train.seqLen },
    shapesChosen: opts.batch !== undefined || opts.seq !== undefined,
    platform: opts.platform,
    runtimeImport: opts.runtimeImport ?? DEFAULT_RUNTIME_IMPORT[opts.platform],
    sources,
  });
  for (const note of notes) process.stderr.write(`xlstm: note: ${note}\n`);
  return files;
}

async function compile(file: string, opts: CompileOptions): Promise<void> {
  const printable = opts.emit === 'ir' || opts.emit === 'plan';
  if (opts.out === undefined && !printable) throw new UserError(`--emit ${opts.emit} writes files: give the output directory with -o <dir>`, 2);
  const result = checkModelFile(file, 'nothing compiled');

  // emit everything before writing anything: a model that fails leaves no partial output behind
  const specs = selectSomeModels(result, opts.model, file);
  const byFileName = new Map<string, string>();
  for (const spec of opts.emit === 'ir' ? [] : specs) {
    const base = kebabCase(spec.name);
    const other = byFileName.get(base);
    if (other !== undefined) throw new UserError(`${file}: models ${other} and ${spec.name} would both be written as ${base}; rename one`);
    byFileName.set(base, spec.name);
  }
  const files: EmittedFile[] = [];
  for (const spec of specs) files.push(...(await modelFiles(spec, opts, result.sources)));
  if (opts.out === undefined) {
    process.stdout.write(files.map((f) => f.text).join('\n'));
    return;
  }
  for (const path of await writeFilesAtomically(opts.out, files)) process.stderr.write(`wrote ${path}\n`);
}

export function registerCompileCommand(program: Command): void {
  program
    .command('compile')
    .description('Compile the models of a .xlstm file into a typed TypeScript module and its WGSL kernels (or print their IR or kernel plan)')
    .argument('<file>', '.xlstm source file')
    .option('-o, --out <dir>', 'write <dir>/<model>.ts and <dir>/<model>/*.wgsl (for ir and plan: <dir>/<model>.ir.txt or .plan.txt instead of printing)')
    .addOption(
      new Option('--emit <kind>', 'module: the .ts module and the .wgsl files; ts or wgsl: only those; ir: the IR; plan: the kernel plans').choices(EMIT_KINDS).default('module'),
    )
    .option('--model <name>', 'only this model of the file')
    .option('--batch <n>', "batch size of the forward pass whose kernels the module carries (and of the IR); default: the model's train batch", positiveInt)
    .option('--seq <n>', "its sequence length; default: the model's train sequence length", positiveInt)
    .addOption(new Option('--mlstm-form <form>', 'how mLSTM cells are evaluated (--emit ir)').choices(['parallel', 'chunkwise', 'recurrent']).default('parallel'))
    .addOption(new Option('--platform <name>', 'where the module runs: node (files, npm webgpu) or browser (navigator.gpu, fetch)').choices(PLATFORMS).default('node'))
    .option('--runtime-import <specifier>', 'the module specifier the module imports the runtime from (default: xlstm-dsl/runtime/node, or xlstm-dsl/runtime for --platform browser)')
    .action((file: string, opts: CompileOptions) => compile(file, opts));
}
