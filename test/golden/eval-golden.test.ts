/**
 * Every golden case through the CLI, as a user would verify a checkpoint: import the official config
 * with `xlstm import-config`, run `xlstm eval --step --grads` on the case's weights and inputs, and
 * compare with what the official PyTorch code produced (golden/README.md tolerances for float64).
 * A second pass declares the sLSTM backend `cuda` and feeds the weights in the CUDA-backend layout.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { float64Tensor, tensorToFloat64, type Tensor } from '../../runtime/io/safetensors.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../../runtime/io/safetensors-node.js';
import { permute } from '../helpers/permute.js';
import { readFloatTensors } from '../helpers/read-floats.js';
import { SHARED_GOLDEN } from '../compiler/ir/golden-spec.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'xlstm.js');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'golden');
const MIXED_7_1 = join(SHARED_GOLDEN, 'case_mixed_7_1');
const run = promisify(execFile);

const LOGITS_TOLERANCE = 1e-10;
const LOSS_TOLERANCE = 1e-12;
const GRAD_TOLERANCE = 1e-9;

interface Measured {
  logits: number;
  logitsStep: number;
  loss: number;
  /** Worst over tensors of max |ours − golden| / max |golden|. */
  grads: number;
}

const measured = new Map<string, Measured>();
let work: string;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'compiler', 'cli', 'eval.js'))) throw new Error('build first: npx tsc -p tsconfig.build.json');
  work = mkdtempSync(join(tmpdir(), 'xlstm-eval-golden-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  const rows = [...measured].map(([name, m]) => `  ${name}: logits ${m.logits.toExponential(1)}, logits_step ${m.logitsStep.toExponential(1)}, loss ${m.loss.toExponential(1)}, grads ${m.grads.toExponential(1)} (rel. to tensor max)`);
  console.log(`max errors through the CLI vs the official float64 outputs:\n${rows.join('\n')}`);
});

async function xlstm(dir: string, args: string[]): Promise<void> {
  try {
    await run(process.execPath, [BIN, ...args], { cwd: dir });
  } catch (e) {
    const failure = e as { code?: number; stderr?: string };
    throw new Error(`xlstm ${args.join(' ')} exited ${failure.code}: ${failure.stderr}`);
  }
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  return a.reduce((max, v, i) => Math.max(max, Math.abs(v - b[i]!)), 0);
}

function maxAbs(a: Float64Array): number {
  return a.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
}

function expectWithin(what: string, error: number, tolerance: number): void {
  if (!(error <= tolerance)) throw new Error(`${what}: max error ${error} exceeds ${tolerance}`);
}

/** The vanilla-layout sLSTM tensors of a golden file (weights or grads) re-laid in the CUDA-backend layout. */
function toCudaLayout(tensors: Map<string, Tensor>, config: { slstm_block: { slstm: { num_heads: number } } }, embed: number): Map<string, Tensor> {
  const NH = config.slstm_block.slstm.num_heads;
  const DH = embed / NH;
  return new Map(
    [...tensors].map(([name, t]) => {
      const values = tensorToFloat64(t, name);
      // official int2ext then the CUDA ext2int (a plain reshape): kernel [NH, 4, DH, DH] → [NH, DH_in, 4, DH_out]
      if (name.endsWith('_recurrent_kernel_')) return [name, float64Tensor([NH, DH, 4 * DH], permute(values, [NH, 4, DH, DH], [0, 3, 1, 2]))];
      if (name.endsWith('_bias_')) return [name, float64Tensor([4 * NH * DH], permute(values, [4, NH, DH], [1, 0, 2]))];
      return [name, t];
    }),
  );
}

interface EvalCase {
  name: string;
  dir: string;
  /** Declare `backend cuda` and feed the weights (and expect the grads) in the CUDA layout. */
  cuda: boolean;
}

async function checkCase(c: EvalCase): Promise<void> {
  const dir = mkdtempSync(join(work, `${c.name}-`));
  const config = JSON.parse(readFileSync(join(c.dir, 'config.json'), 'utf8'));
  const official = config.official_config;
  let weightsPath = join(c.dir, 'weights.safetensors');
  let goldenGrads = (await readSafetensorsFile(join(c.dir, 'grads.safetensors'))).tensors;
  if (c.cuda) {
    official.slstm_block.slstm.backend = 'cuda';
    weightsPath = join(dir, 'weights-cuda.safetensors');
    await writeSafetensorsFile(weightsPath, toCudaLayout((await readSafetensorsFile(join(c.dir, 'weights.safetensors'))).tensors, official, official.embedding_dim));
    goldenGrads = toCudaLayout(goldenGrads, official, official.embedding_dim);
  }
  writeFileSync(join(dir, 'official.json'), JSON.stringify(official));
  await xlstm(dir, ['import-config', 'official.json', '-o', 'model.xlstm', '--name', 'Golden']);
  await xlstm(dir, ['eval', 'model.xlstm', '--weights', weightsPath, '--inputs', join(c.dir, 'outputs.safetensors'), '--out', 'out.safetensors', '--step', '--grads', 'grads.safetensors']);

  const golden = await readFloatTensors(join(c.dir, 'outputs.safetensors'));
  const out = await readFloatTensors(join(dir, 'out.safetensors'));
  if (JSON.stringify([...out.keys()]) !== JSON.stringify(['logits', 'logits_step', 'loss'])) throw new Error(`out holds ${[...out.keys()]}`);
  if (JSON.stringify(out.get('logits')!.shape) !== JSON.stringify(golden.get('logits')!.shape)) throw new Error('logits shape differs');
  if (out.get('loss')!.shape.length !== 0) throw new Error(`loss has shape [${out.get('loss')!.shape}], expected []`);
  const m: Measured = {
    logits: maxAbsDiff(out.get('logits')!.values, golden.get('logits')!.values),
    logitsStep: maxAbsDiff(out.get('logits_step')!.values, golden.get('logits_step')!.values),
    loss: maxAbsDiff(out.get('loss')!.values, golden.get('loss')!.values),
    grads: 0,
  };
  const grads = await readFloatTensors(join(dir, 'grads.safetensors'));
  const gradNames = [...goldenGrads.keys()];
  if (JSON.stringify([...grads.keys()]) !== JSON.stringify(gradNames)) {
    throw new Error(`gradient names differ from named_parameters(): got ${[...grads.keys()].join(', ')}`);
  }
  for (const name of gradNames) {
    const expected = goldenGrads.get(name)!;
    const ours = grads.get(name)!;
    if (JSON.stringify(ours.shape) !== JSON.stringify(expected.shape)) throw new Error(`${name}: shape [${ours.shape}], golden [${expected.shape}]`);
    const values = tensorToFloat64(expected, name);
    const relative = maxAbsDiff(ours.values, values) / maxAbs(values);
    expectWithin(`grad ${name}`, relative, GRAD_TOLERANCE);
    m.grads = Math.max(m.grads, relative);
  }
  measured.set(c.cuda ? `${c.name} (cuda layout)` : c.name, m);
  expectWithin('logits', m.logits, LOGITS_TOLERANCE);
  expectWithin('logits_step', m.logitsStep, LOGITS_TOLERANCE);
  expectWithin('loss', m.loss, LOSS_TOLERANCE);
  rmSync(dir, { recursive: true, force: true });
}

const fixtureCases: EvalCase[] = readdirSync(FIXTURES)
  .filter((d) => d.startsWith('case_'))
  .map((d) => ({ name: d.slice('case_'.length), dir: join(FIXTURES, d), cuda: false }));

describe.concurrent('xlstm eval reproduces the official outputs and gradients of every golden case', () => {
  for (const c of fixtureCases) it(c.name, () => checkCase(c));
  it.skipIf(!existsSync(join(MIXED_7_1, 'weights.safetensors')))('mixed_7_1 (from ../shared/golden)', () =>
    checkCase({ name: 'mixed_7_1', dir: MIXED_7_1, cuda: false }),
  );
  for (const name of ['s_only_perturbed', 'mixed_1_1']) {
    it(`${name} with backend cuda and the weights in the CUDA-backend layout`, () => checkCase({ name, dir: join(FIXTURES, `case_${name}`), cuda: true }));
  }
});
