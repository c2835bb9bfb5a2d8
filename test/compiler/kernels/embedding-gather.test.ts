import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddingGatherKernel } from '../../../compiler/kernels/embedding-gather.js';
import { embeddingForward } from '../../../runtime/reference/ops/embedding.js';
import { openGpuKit, poison, randomF32, relativeError, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

async function gather(tokens: number, vocab: number, dim: number, ids: Uint32Array, table: Float32Array, workgroupSize?: number) {
  const { exec } = kit;
  const kernel = embeddingGatherKernel({ tokens, vocab, dim, ...(workgroupSize ? { workgroupSize } : {}) }, kit.target);
  const t = { ids: exec.tensor('ids', tokens, 'u32'), table: exec.tensor('table', vocab * dim), out: exec.tensor('out', tokens * dim) };
  exec.uploadU32(t.ids, ids);
  exec.uploadF32(t.table, table);
  poison(exec, t.out);
  const [out] = await exec.run([{ kernel, tensors: t }], { read: [t.out] });
  return { out: out as Float32Array, kernel };
}

describe('embedding gather', () => {
  it.each([
    [7, 11, 8],
    [5, 13, 6],
    [33, 256, 128],
  ])('gathers %i tokens from a %i×%i table', async (tokens, vocab, dim) => {
    const { seed, rng } = testRng();
    const table = randomF32(rng, vocab * dim);
    const ids = Int32Array.from({ length: tokens }, () => rng.nextInt(vocab));
    ids[0] = vocab - 1; // the last row, where an off-by-one would read past the table
    const { out } = await gather(tokens, vocab, dim, Uint32Array.from(ids), table.f32);
    expect(relativeError(out, embeddingForward(table.f64, ids, vocab, dim)), `seed ${seed}`).toBe(0);
  });

  it('writes NaN rows for ids outside the vocabulary instead of a clamped row', async () => {
    const { rng } = testRng();
    const [vocab, dim] = [5, 4];
    const table = randomF32(rng, vocab * dim);
    const { out } = await gather(3, vocab, dim, Uint32Array.from([1, 5, 0xffffffff]), table.f32);
    expect([...out.slice(0, 4)]).toEqual([...table.f32.slice(4, 8)]);
    expect(out.slice(4).every(Number.isNaN)).toBe(true);
  });

  it('covers every element when the dispatch is folded into 2D', async () => {
    const { seed, rng } = testRng();
    // one invocation per vec4 and per workgroup: 70,001 workgroups, above the 65,535 per dimension
    const [tokens, vocab, dim] = [70_001, 3, 4];
    const table = randomF32(rng, vocab * dim);
    const ids = Int32Array.from({ length: tokens }, () => rng.nextInt(vocab));
    const { out, kernel } = await gather(tokens, vocab, dim, Uint32Array.from(ids), table.f32, 1);
    expect(kernel.dispatch[1]).toBeGreaterThan(1);
    expect(relativeError(out, embeddingForward(table.f64, ids, vocab, dim)), `seed ${seed}`).toBe(0);
  });
});
