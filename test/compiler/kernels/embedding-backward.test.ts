import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddingBackwardKernels } from '../../../compiler/kernels/embedding-backward.js';
import type { KernelTarget } from '../../../compiler/kernels/kernel.js';
import { linearBackwardKernels } from '../../../compiler/kernels/linear-backward.js';
import { bindAll } from '../../../runtime/exec/executor.js';
import { embeddingBackward } from '../../../runtime/reference/ops/embedding.js';
import { linearBackward } from '../../../runtime/reference/ops/linear.js';
import { openGpuKit, poison, randomF32, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { expectClose, GradCheck } from './grad-check.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

/** Ids with repeats, the last vocab row included, and (when vocab > tokens) rows no token uses. */
function tokenIds(rng: { nextInt(n: number): number }, tokens: number, vocab: number): Int32Array {
  const ids = Int32Array.from({ length: tokens }, () => rng.nextInt(Math.max(1, Math.ceil(vocab / 2))) * 2 % vocab);
  ids[0] = vocab - 1;
  return ids;
}

async function check(tokens: number, vocab: number, dim: number, accumulate = false, target: KernelTarget = kit.target): Promise<number> {
  const { seed, rng } = testRng();
  const kernels = embeddingBackwardKernels({ tokens, vocab, dim, accumulate }, target);
  for (const k of kernels) expect(k.loopIterations).toBeLessThanOrEqual(target.maxLoopIterationsPerInvocation);
  const g = new GradCheck(kit, rng);
  const ids = tokenIds(rng, tokens, vocab);
  const idTensor = kit.exec.tensor('ids', tokens, 'u32');
  kit.exec.uploadU32(idTensor, Uint32Array.from(ids));
  g.tensors.map['ids'] = idTensor;
  const dy = g.input('dy', tokens * dim);
  g.output('dTable', vocab * dim, accumulate);
  const out = await g.run(kernels, ['dTable']);
  expectClose(out['dTable']!, g.expected('dTable', embeddingBackward(dy, ids, vocab, dim)), 2e-5 * Math.max(1, Math.sqrt(tokens / 256)), 'dTable', seed);
  return kernels.length;
}

describe('embedding backward (deterministic scatter-add) against the float64 reference', () => {
  it.each([
    [1, 1, 1],
    [7, 11, 8],
    [5, 13, 6],
    [40, 9, 5],
    [40, 9, 44], // 11 vec4 columns: a full slice of 8 and a partial one
    [25, 6, 19],
    [300, 256, 128],
  ])('%i tokens into a %i×%i table', async (tokens, vocab, dim) => {
    expect(await check(tokens, vocab, dim)).toBe(1);
  });

  it('adds into an existing gradient with accumulate', async () => {
    await check(33, 10, 12, true);
  });

  it('gives the same bits on every run', async () => {
    const { rng } = testRng();
    const [tokens, vocab, dim] = [500, 7, 16];
    const kernels = embeddingBackwardKernels({ tokens, vocab, dim }, kit.target);
    const t = { ids: kit.exec.tensor('ids', tokens, 'u32'), dy: kit.exec.tensor('dy', tokens * dim), dTable: kit.exec.tensor('dTable', vocab * dim) };
    kit.exec.uploadU32(t.ids, Uint32Array.from(tokenIds(rng, tokens, vocab)));
    kit.exec.uploadF32(t.dy, randomF32(rng, tokens * dim).f32);
    const [first] = await kit.exec.run(bindAll(kernels, t), { read: [t.dTable] });
    poison(kit.exec, t.dTable);
    const [second] = await kit.exec.run(bindAll(kernels, t), { read: [t.dTable] });
    expect(Buffer.from((second as Float32Array).buffer).equals(Buffer.from((first as Float32Array).buffer))).toBe(true);
  });

  it('with tied weights, adds the scatter to the LM head weight gradient in the same buffer', async () => {
    const { seed, rng } = testRng();
    const [tokens, vocab, dim] = [24, 10, 8];
    const { exec } = kit;
    const ids = tokenIds(rng, tokens, vocab);
    const dLogits = randomF32(rng, tokens * vocab);
    const hidden = randomF32(rng, tokens * dim);
    const table = randomF32(rng, vocab * dim);
    const dEmbedded = randomF32(rng, tokens * dim);
    const t = {
      ids: exec.tensor('ids', tokens, 'u32'),
      dLogits: exec.tensor('dLogits', tokens * vocab),
      hidden: exec.tensor('hidden', tokens * dim),
      table: exec.tensor('table', vocab * dim),
      dEmbedded: exec.tensor('dEmbedded', tokens * dim),
      dHidden: exec.tensor('dHidden', tokens * dim),
      dTable: exec.tensor('dTable', vocab * dim),
    };
    exec.uploadU32(t.ids, Uint32Array.from(ids));
    for (const [name, v] of [['dLogits', dLogits], ['hidden', hidden], ['table', table], ['dEmbedded', dEmbedded]] as const) exec.uploadF32(t[name], v.f32);
    poison(exec, t.dTable);
    poison(exec, t.dHidden);
    const head = linearBackwardKernels({ m: tokens, n: vocab, k: dim, name: 'lm_head_backward' }, kit.target);
    const scatter = embeddingBackwardKernels({ tokens, vocab, dim, accumulate: true }, kit.target);
    const [dTable] = await exec.run(
      [
        ...bindAll(head, { dy: t.dLogits, x: t.hidden, w: t.table, dx: t.dHidden, dw: t.dTable }),
        ...bindAll(scatter, { ids: t.ids, dy: t.dEmbedded, dTable: t.dTable }),
      ],
      { read: [t.dTable] },
    );
    const headGrad = linearBackward(dLogits.f64, hidden.f64, table.f64, false, tokens, dim, vocab).dWeight;
    const expected = embeddingBackward(dEmbedded.f64, ids, vocab, dim).map((v, i) => v + headGrad[i]!);
    expectClose(dTable!, expected, 2e-5, 'tied dTable', seed);
  });

  it('splits the token loop into accumulating dispatches under the loop cap', async () => {
    expect(await check(50, 6, 7, true, { ...kit.target, maxLoopIterationsPerInvocation: 17 })).toBe(4);
    // where a naive loop over the tokens would pass the device's own cap
    await check(70_001, 3, 4);
  });
});
