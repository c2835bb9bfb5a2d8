import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleTokenKernel } from '../../../compiler/kernels/sample-token.js';
import type { Rng } from '../../../runtime/random.js';
import { openGpuKit, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { DeviceTensors } from './device-tensors.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

interface Rule {
  temperature: number;
  topK: number;
  topP: number;
}

/**
 * The documented sampling rule in float64, written directly (sort, prefix sums in id order). `margin` is how far
 * (relative to the kept total) the draw and the top-p goal sit from the nearest prefix-sum boundary:
 * where it is tiny, float32 rounding may legitimately pick the neighbour.
 */
function sampleReference(logits: Float64Array, rule: Rule, draw: number): { id: number; margin: number } {
  const V = logits.length;
  const order = Array.from({ length: V }, (_, v) => v).sort((a, b) => logits[b]! - logits[a]! || a - b);
  if (rule.temperature <= 0) return { id: order[0]!, margin: Infinity };
  let kept = rule.topK > 0 && rule.topK < V ? order.slice(0, rule.topK) : order;
  const top = logits[order[0]!]!;
  const weight = (v: number): number => Math.exp((logits[v]! - top) / rule.temperature);
  const sum = (ids: number[]): number => ids.reduce((s, v) => s + weight(v), 0);
  let margin = Infinity;
  if (rule.topP < 1) {
    const total = sum(kept);
    const goal = Math.max(rule.topP * total, 1);
    let cum = 0;
    let j = 0;
    for (; j < kept.length - 1; j++) {
      cum += weight(kept[j]!);
      if (cum >= goal) break;
    }
    // a goal clamped to the top token's exact weight 1 has no rounding doubt
    if (goal > 1) margin = Math.min(Math.abs(cum - goal), Math.abs(cum - weight(kept[j]!) - goal)) / total;
    kept = kept.slice(0, j + 1);
  }
  const total = sum(kept);
  const goal = Math.min(draw, 1 - 2 ** -24) * total;
  let cum = 0;
  for (const v of kept.sort((a, b) => a - b)) {
    const before = cum;
    cum += weight(v);
    if (cum > goal) return { id: v, margin: Math.min(margin, (goal - before) / total, (cum - goal) / total) };
  }
  return { id: kept[kept.length - 1]!, margin: 0 };
}

async function sampleOnDevice(logits: Float32Array, draws: Float32Array, B: number, V: number, rule: Rule): Promise<Int32Array> {
  const io = new DeviceTensors(kit.exec);
  io.input('logits', logits);
  io.input('draws', draws);
  const token = io.input('token', new Int32Array(B).fill(-7));
  const kernel = sampleTokenKernel({ batch: B, vocab: V }, kit.target);
  const [out] = await kit.exec.run([{ kernel, tensors: io.map, uniforms: { ...rule } }], { read: [token] });
  return out as Int32Array;
}

type LogitMaker = (rng: Rng) => number;
const normal =
  (std: number): LogitMaker =>
  (rng) =>
    std * rng.nextNormal();
/** Few distinct values, so ties decide. */
const coarse: LogitMaker = (rng) => rng.nextInt(4);

/** Draws logits and per-row draws until no row sits within 1e-4 of a boundary, then compares. */
async function check(B: number, V: number, rule: Rule, makeLogit: LogitMaker = normal(2)): Promise<void> {
  const { seed, rng } = testRng();
  for (let attempt = 0; attempt < 50; attempt++) {
    const logits = Float32Array.from({ length: B * V }, () => makeLogit(rng));
    const draws = Float32Array.from({ length: B }, () => rng.nextFloat());
    const expected = Array.from({ length: B }, (_, b) => sampleReference(Float64Array.from(logits.subarray(b * V, (b + 1) * V)), rule, draws[b]!));
    if (expected.some((e) => e.margin < 1e-4)) continue;
    const got = await sampleOnDevice(logits, draws, B, V, rule);
    expect(Array.from(got), `seed ${seed}, rule ${JSON.stringify(rule)}`).toEqual(expected.map((e) => e.id));
    return;
  }
  throw new Error(`seed ${seed}: no draw clear of the boundaries in 50 attempts`);
}

// Few shapes, many rules: the rule is uniforms, so each shape compiles one pipeline (~0.5 s on llvmpipe).
describe('token sampling kernel against a float64 twin of its rule', () => {
  it.each([
    [1, 1],
    [1, 9],
    [8, 300],
  ])('temperature 0 is argmax (B=%i, V=%i)', async (B, V) => {
    await check(B, V, { temperature: 0, topK: 0, topP: 1 });
  });

  it('argmax breaks ties toward the lower id, and −0 equals +0', async () => {
    await check(8, 300, { temperature: 0, topK: 0, topP: 1 }, coarse);
    const logits = new Float32Array(9).fill(-1);
    logits[6] = 2;
    logits[3] = 2;
    const rule = { temperature: 0, topK: 0, topP: 1 };
    expect(Array.from(await sampleOnDevice(logits, new Float32Array([0.5]), 1, 9, rule))).toEqual([3]);
    logits.fill(-1).set([0, -0], 4);
    expect(Array.from(await sampleOnDevice(logits, new Float32Array([0.5]), 1, 9, rule))).toEqual([4]);
  });

  it.each([
    { temperature: 1, topK: 0, topP: 1 },
    { temperature: 0.7, topK: 5, topP: 1 },
    { temperature: 1.3, topK: 0, topP: 0.9 },
    { temperature: 1, topK: 12, topP: 0.5 },
    { temperature: 2, topK: 1, topP: 1 },
    { temperature: 1, topK: 0, topP: 1e-9 },
    { temperature: 0.5, topK: 200, topP: 0.95 },
  ])('%o on 8 rows of 300', async (rule) => {
    await check(8, 300, rule);
  });

  it('top-k, top-p and the draw rank equal logits by id', async () => {
    await check(8, 300, { temperature: 1, topK: 7, topP: 1 }, coarse);
    await check(8, 300, { temperature: 1, topK: 0, topP: 0.3 }, coarse);
  });

  it('draws the kept tokens of lowest and highest id at draws 0 and just below 1', async () => {
    const logits = new Float32Array([0.5, 3, -1, 2, 1, -9, -9, -9, -9]);
    const rule = { temperature: 1, topK: 3, topP: 1 };
    const pick = async (draw: number) => (await sampleOnDevice(logits, new Float32Array([draw]), 1, 9, rule))[0];
    expect(await pick(0)).toBe(1);
    expect(await pick(0.99999994)).toBe(4);
  });
});
