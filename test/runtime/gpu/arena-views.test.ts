import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernel, u32 } from '../../../compiler/kernels/wgsl.js';
import { openGpuKit, randomF32, testRng, type GpuKit } from './gpu-test-kit.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

/** y = 2·x over n values. */
function double(n: number) {
  return buildKernel(
    {
      name: `double_${n}`,
      summary: 'y = 2x',
      bindings: [
        { name: 'x', access: 'read', type: 'f32', elements: n },
        { name: 'y', access: 'read_write', type: 'f32', elements: n },
      ],
      constants: { N: u32(n) },
      workgroupSize: 64,
      workgroups: Math.ceil(n / 64),
      loopIterations: 0,
      body: ['if (gid >= N) { return; }', 'y[gid] = 2.0 * x[gid];'],
    },
    kit.target,
  );
}

describe('BufferArena views', () => {
  it('bind, upload and read back a slice of their parent, allocating nothing', async () => {
    const { exec } = kit;
    const { seed, rng } = testRng();
    const parent = exec.tensor('views.parent', 256);
    const source = exec.tensor('views.source', 256);
    exec.uploadF32(parent, new Float32Array(256).fill(7));
    const created = exec.arena.stats.created;
    const a = exec.arena.view(source, 'views.a', 64, 50);
    const b = exec.arena.view(parent, 'views.b', 128, 50);
    expect(exec.arena.stats.created).toBe(created);
    const x = randomF32(rng, 50);
    exec.uploadF32(a, x.f32);
    // WebGPU tracks usage per buffer: views of one buffer may not be read and written by one dispatch
    const [whole, slice, uploaded] = await exec.run([{ kernel: double(50), tensors: { x: a, y: b } }], { read: [parent, b, a] });
    const expected = new Float32Array(256).fill(7);
    expected.set(x.f32.map((v) => 2 * v), 128);
    expect([...whole!], `seed ${seed}`).toEqual([...expected]);
    expect([...slice!], `seed ${seed}`).toEqual([...expected.subarray(128, 178)]);
    expect([...uploaded!], `seed ${seed}`).toEqual([...x.f32]);
  });

  it('refuse a start off the 256-byte alignment and a slice past the end', () => {
    const parent = kit.exec.tensor('views.checked', 128);
    expect(() => kit.exec.arena.view(parent, 'off', 3, 10)).toThrow(/multiple of 256/);
    expect(() => kit.exec.arena.view(parent, 'long', 64, 65)).toThrow(/do not fit/);
    expect(() => kit.exec.arena.view(kit.exec.arena.view(parent, 'v', 0, 64), 'nested', 0, 8)).toThrow(/not a whole tensor/);
  });

  it('may not be read and written by one dispatch when they share a buffer', async () => {
    const parent = kit.exec.tensor('views.shared', 128);
    const [a, b] = [kit.exec.arena.view(parent, 'a', 0, 8), kit.exec.arena.view(parent, 'b', 64, 8)];
    await expect(kit.exec.run([{ kernel: double(8), tensors: { x: a, y: b } }])).rejects.toThrow(/views of one buffer/);
  });
});
