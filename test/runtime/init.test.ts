import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parameterSpecs, type InitSpec } from '../../compiler/params.js';
import { fillInit, initializeParameters } from '../../runtime/init.js';
import { readSafetensorsFile } from '../../runtime/io/safetensors-node.js';
import { tensorToFloat64 } from '../../runtime/io/safetensors.js';
import { Rng } from '../../runtime/random.js';
import { goldenCase, goldenCases, goldenSpec, type GoldenCase } from '../compiler/ir/golden-spec.js';

const seed = Math.floor(Math.random() * 2 ** 31);
const withSeed = `seed ${seed}`;

/** Cases whose weights are the official init itself (not perturbed). */
const officialInitCases = goldenCases().filter((c) => ['m_only', 's_only', 'mixed_7_1'].includes(c.name));

const DETERMINISTIC_TENSORS: Record<string, number> = { m_only: 2 * 6 + 1, s_only: 2 * 5 + 1, mixed_7_1: 7 * 6 + 5 + 1 };

function isDeterministic(init: InitSpec): boolean {
  return init.kind === 'constant' || init.kind === 'linspace' || (init.kind === 'slstm_bias' && init.scheme !== 'standard');
}

function mustCase(name: string): GoldenCase {
  const c = goldenCase(name);
  if (c === undefined) throw new Error(`golden case ${name} missing`);
  return c;
}

function stats(xs: ArrayLike<number>): { mean: number; std: number; maxAbs: number } {
  let s = 0;
  let maxAbs = 0;
  for (let i = 0; i < xs.length; i++) {
    s += xs[i] as number;
    maxAbs = Math.max(maxAbs, Math.abs(xs[i] as number));
  }
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += ((xs[i] as number) - mean) ** 2;
  return { mean, std: Math.sqrt(v / xs.length), maxAbs };
}

/** Loose, seed-independent checks that `xs` is a sample of `init` (6-sigma bounds; std only for large tensors). */
function expectSampleOf(xs: ArrayLike<number>, init: InitSpec, what: string): void {
  const n = xs.length;
  const { mean, std, maxAbs } = stats(xs);
  if (init.kind === 'normal') {
    expect(maxAbs, what).toBeLessThan(6.5 * init.std);
    expect(Math.abs(mean), what).toBeLessThan((6 * init.std) / Math.sqrt(n));
    if (n >= 200) expect(Math.abs(std / init.std - 1), what).toBeLessThan(6 / Math.sqrt(2 * n));
  } else if (init.kind === 'uniform') {
    expect(maxAbs, what).toBeLessThanOrEqual(init.bound);
    const sigma = init.bound / Math.sqrt(3);
    expect(Math.abs(mean), what).toBeLessThan((6 * sigma) / Math.sqrt(n));
    // the sample variance of U(−b, b) has relative std sqrt(4/(5n))
    if (n >= 200) expect(Math.abs((std * std) / (sigma * sigma) - 1), what).toBeLessThan(6 * Math.sqrt(4 / (5 * n)));
  } else {
    throw new Error(`${what}: not a random init`);
  }
}

describe('initializeParameters against the official init (golden weights)', () => {
  for (const c of officialInitCases) {
    it(`${c.name}: every deterministic tensor matches to 1e-6, every random one is a plausible sample`, async () => {
      const spec = goldenSpec(c);
      const ours = initializeParameters(spec, seed);
      const golden = (await readSafetensorsFile(join(c.dir, 'weights.safetensors'))).tensors;
      expect([...ours.keys()]).toEqual([...golden.keys()]);
      let compared = 0;
      for (const p of parameterSpecs(spec)) {
        const mine = ours.get(p.name) as Float32Array;
        const theirs = tensorToFloat64(golden.get(p.name) as never, p.name);
        expect(mine.length, p.name).toBe(theirs.length);
        if (isDeterministic(p.init)) {
          let worst = 0;
          for (let i = 0; i < mine.length; i++) worst = Math.max(worst, Math.abs((mine[i] as number) - (theirs[i] as number)));
          expect(worst, p.name).toBeLessThanOrEqual(1e-6);
          compared++;
        } else {
          expectSampleOf(mine, p.init, `${p.name} (${withSeed})`);
        }
      }
      // mLSTM block: xlstm_norm, learnable_skip, igate/fgate weights, fgate bias, outnorm (6); sLSTM block:
      // xlstm_norm, _bias_, group_norm, ffn_norm, zero recurrent kernel (5); plus the post-blocks norm
      expect(compared).toBe(DETERMINISTIC_TENSORS[c.name]);
    });
  }

  it('powerlaw forget-gate bias of s_only by the formula: 5 at unit 0, −7 at the last unit, exponent 0.3 then 1.6', () => {
    const params = initializeParameters(goldenSpec(mustCase('s_only')), seed, { dtype: 'f64' });
    const E = 32;
    const DH = 8;
    for (const [block, exponent] of [
      [0, 0.3],
      [1, 1.6],
    ] as const) {
      const b = params.get(`xlstm_block_stack.blocks.${block}.xlstm.slstm_cell._bias_`) as Float64Array;
      for (let h = 0; h < 4; h++) {
        for (let j = 0; j < DH; j++) expect(b[E + h * DH + j]).toBeCloseTo(5 - 12 * (j / 7) ** exponent, 12);
      }
      // gates i, z, o are zero
      expect([...b.subarray(0, E), ...b.subarray(2 * E)].every((x) => x === 0)).toBe(true);
    }
  });
});

describe('initializeParameters', () => {
  const mixed = goldenSpec(mustCase('mixed_1_1'));

  it('small_init sLSTM forget bias is linspace(3, 6, DH) in every head; standard recurrent kernel is U(±1/sqrt(E))', () => {
    const params = initializeParameters(mixed, seed);
    const E = 32;
    const DH = 16;
    const b = params.get('xlstm_block_stack.blocks.1.xlstm.slstm_cell._bias_') as Float32Array;
    for (let h = 0; h < 2; h++) for (let j = 0; j < DH; j++) expect(b[E + h * DH + j]).toBeCloseTo(3 + (3 * j) / 15, 6);
    expect(b.subarray(0, E).every((x) => x === 0) && b.subarray(2 * E).every((x) => x === 0)).toBe(true);
    const r = params.get('xlstm_block_stack.blocks.3.xlstm.slstm_cell._recurrent_kernel_') as Float32Array;
    expectSampleOf(r, { kind: 'uniform', bound: 1 / Math.sqrt(32) }, `recurrent kernel (${withSeed})`);
  });

  it('ties lm_head to the very same array as the embedding, only when tied', () => {
    const tied = initializeParameters(mixed, seed);
    expect(tied.get('lm_head.weight')).toBe(tied.get('token_embedding.weight'));
    const untied = initializeParameters(goldenSpec(mustCase('m_only')), seed);
    expect(untied.get('lm_head.weight')).not.toBe(untied.get('token_embedding.weight'));
    expect(untied.get('lm_head.weight')).not.toEqual(untied.get('token_embedding.weight'));
  });

  it('same seed, same values; another seed changes every random tensor and no deterministic one', () => {
    const a = initializeParameters(mixed, seed);
    const b = initializeParameters(mixed, seed);
    const c = initializeParameters(mixed, seed + 1);
    for (const p of parameterSpecs(mixed)) {
      expect(b.get(p.name), `${p.name} ${withSeed}`).toEqual(a.get(p.name));
      if (isDeterministic(p.init)) expect(c.get(p.name), p.name).toEqual(a.get(p.name));
      else expect(c.get(p.name), `${p.name} ${withSeed}`).not.toEqual(a.get(p.name));
    }
  });

  it('float64 output draws the same values, which round to the float32 ones', () => {
    const f32 = initializeParameters(mixed, seed);
    const f64 = initializeParameters(mixed, seed, { dtype: 'f64' });
    for (const [name, wide] of f64) {
      expect(wide).toBeInstanceOf(Float64Array);
      const narrow = f32.get(name) as Float32Array;
      expect(Float32Array.from(wide), name).toEqual(narrow);
    }
  });

  it('refuses a bad seed', () => {
    expect(() => initializeParameters(mixed, -3)).toThrow(/seed -3 is not valid/);
  });
});

describe('fillInit on large tensors', () => {
  const rng = Rng.fromSeed(seed, 'fill');
  it('normal and uniform have the right moments and bounds', () => {
    const n = 100_000;
    const normal = new Float64Array(n);
    fillInit(normal, { kind: 'normal', std: 0.02 }, rng);
    expectSampleOf(normal, { kind: 'normal', std: 0.02 }, withSeed);
    const uniform = new Float64Array(n);
    fillInit(uniform, { kind: 'uniform', bound: 0.25 }, rng);
    expectSampleOf(uniform, { kind: 'uniform', bound: 0.25 }, withSeed);
  });

  it('linspace over the tensor hits both ends exactly (torch.linspace)', () => {
    const out = new Float64Array(7);
    fillInit(out, { kind: 'linspace', start: 3, end: 6 }, rng);
    expect([...out]).toEqual([3, 3.5, 4, 4.5, 5, 5.5, 6]);
  });

  it('the standard sLSTM bias scheme draws all four gates from U(±1/sqrt(E))', () => {
    const E = 64 * 4;
    const out = new Float64Array(4 * E);
    fillInit(out, { kind: 'slstm_bias', scheme: 'standard', numHeads: 4, headDim: 64, blockIdx: 0, numBlocks: 1 }, rng);
    for (let g = 0; g < 4; g++) expectSampleOf(out.subarray(g * E, (g + 1) * E), { kind: 'uniform', bound: 1 / 16 }, `gate ${g} ${withSeed}`);
  });
});
