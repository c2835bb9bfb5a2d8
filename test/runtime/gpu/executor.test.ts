import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelSpec } from '../../../compiler/kernels/kernel.js';
import { buildKernel, f32, u32 } from '../../../compiler/kernels/wgsl.js';
import { GpuError } from '../../../runtime/device-monitor.js';
import { bindAll, Executor } from '../../../runtime/exec/executor.js';
import { openGpuKit, poison, randomF32, testRng, type GpuKit } from './gpu-test-kit.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

/** out = x · FACTOR + ADD (+ u.shift when `uniform`), elementwise over n values. */
function affine(n: number, factor: number, add: number, opts: { name?: string; uniform?: boolean; out?: string } = {}): KernelSpec {
  const out = opts.out ?? 'y';
  return buildKernel(
    {
      name: opts.name ?? `affine_${factor}_${add}`,
      source: 'test.xlstm:1:1',
      summary: `${out} = x * ${factor} + ${add}`,
      bindings: [
        { name: 'x', access: 'read', type: 'f32', elements: n },
        { name: out, access: 'read_write', type: 'f32', elements: n },
      ],
      ...(opts.uniform ? { uniforms: [{ name: 'shift', type: 'f32' as const }] } : {}),
      constants: { N: u32(n), FACTOR: f32(factor), ADD: f32(add) },
      workgroupSize: 64,
      workgroups: Math.ceil(n / 64),
      loopIterations: 0,
      body: ['if (gid >= N) { return; }', `${out}[gid] = x[gid] * FACTOR + ADD${opts.uniform ? ' + u.shift' : ''};`],
    },
    kit.target,
  );
}

describe('Executor', () => {
  it('reuses tensors, pipelines and bind groups across steps, with one submit per step', async () => {
    const exec = new Executor(kit.dev);
    try {
      const { seed, rng } = testRng();
      const x = randomF32(rng, 100);
      const kernel = affine(100, 2, 1);
      const step = async (read: boolean) => {
        const t = { x: exec.tensor('x', 100), y: exec.tensor('y', 100) };
        exec.uploadF32(t.x, x.f32);
        return exec.run([{ kernel, tensors: t }], read ? { read: [t.y] } : {});
      };
      expect(await step(false)).toEqual([]);
      const arenaAfterStep1 = { ...exec.arena.stats };
      const [y] = await step(true);
      expect(exec.arena.stats.created, 'no new buffers on the second step').toBe(arenaAfterStep1.created);
      expect(exec.arena.stats.reused).toBe(arenaAfterStep1.reused + 2);
      expect(exec.pipelineStats).toEqual({ created: 1, hits: 1 });
      expect(exec.stats.bindGroupsCreated).toBe(1);
      expect(exec.stats.submits).toBe(2);
      expect(exec.stats.readbacks).toBe(1);
      expect([...y!], `seed ${seed}`).toEqual([...x.f32].map((v) => Math.fround(v * 2 + 1)));
    } finally {
      exec.dispose();
    }
  });

  it('encodes every dispatch of a step into one submit, each seeing the previous one’s writes', async () => {
    const exec = kit.exec;
    const { seed, rng } = testRng();
    const x = randomF32(rng, 300);
    const t = { x: exec.tensor('chain.x', 300), y: exec.tensor('chain.y', 300), z: exec.tensor('chain.z', 300) };
    exec.uploadF32(t.x, x.f32);
    poison(exec, t.z);
    const submits = exec.stats.submits;
    const [z] = await exec.run(
      [
        { kernel: affine(300, 3, 0), tensors: { x: t.x, y: t.y } },
        { kernel: affine(300, 1, 0.5), tensors: { x: t.y, y: t.z } },
      ],
      { read: [t.z] },
    );
    expect(exec.stats.submits - submits).toBe(1);
    expect([...z!], `seed ${seed}`).toEqual([...x.f32].map((v) => Math.fround(Math.fround(v * 3) + 0.5)));
  });

  it('gives each dispatch its own uniform values within a step', async () => {
    const exec = kit.exec;
    const kernel = affine(8, 1, 0, { uniform: true, name: 'shifted' });
    const t = { x: exec.tensor('u.x', 8), a: exec.tensor('u.a', 8), b: exec.tensor('u.b', 8) };
    exec.uploadF32(t.x, new Float32Array(8).fill(1));
    const [a, b] = await exec.run(
      [
        { kernel, tensors: { x: t.x, y: t.a }, uniforms: { shift: 10 } },
        { kernel, tensors: { x: t.x, y: t.b }, uniforms: { shift: 20 } },
      ],
      { read: [t.a, t.b] },
    );
    expect([...a!]).toEqual(new Array(8).fill(11));
    expect([...b!]).toEqual(new Array(8).fill(21));
    await expect(exec.run([{ kernel, tensors: { x: t.x, y: t.a } }])).rejects.toThrow(/no value for uniform 'shift'/);
  });

  it('disposes cleanly when only a later dispatch of a step had uniforms', async () => {
    const exec = new Executor(kit.dev);
    const t = { x: exec.tensor('x', 8), y: exec.tensor('y', 8) };
    await exec.run([
      { kernel: affine(8, 1, 0), tensors: t },
      { kernel: affine(8, 1, 0, { uniform: true, name: 'shifted' }), tensors: t, uniforms: { shift: 1 } },
    ]);
    expect(() => exec.dispose()).not.toThrow();
  });

  it('replaces a tensor whose size changes and drops bind groups that used it', async () => {
    const exec = new Executor(kit.dev);
    try {
      const small = { x: exec.tensor('x', 64), y: exec.tensor('y', 64) };
      await exec.run([{ kernel: affine(64, 1, 1), tensors: small }]);
      const grown = { x: exec.tensor('x', 128), y: exec.tensor('y', 128) };
      exec.uploadF32(grown.x, new Float32Array(128).fill(2));
      const [y] = await exec.run([{ kernel: affine(128, 1, 1), tensors: grown }], { read: [grown.y] });
      expect(exec.arena.stats.replaced).toBe(2);
      expect(exec.arena.stats.live).toBe(2);
      expect(exec.arena.stats.bytes).toBe(2 * 128 * 4);
      expect([...y!]).toEqual(new Array(128).fill(3));
    } finally {
      exec.dispose();
    }
  });

  it('names the kernel, its source and the WGSL line when a shader does not compile', async () => {
    const bad = { ...affine(16, 1, 0, { name: 'broken_kernel' }) };
    bad.wgsl = bad.wgsl.replace('x[gid] * FACTOR', 'x[gid] * 1u');
    bad.cacheKey = 'broken';
    const t = { x: kit.exec.tensor('bad.x', 16), y: kit.exec.tensor('bad.y', 16) };
    const error = await kit.exec.run([{ kernel: bad, tensors: t }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GpuError);
    const message = (error as Error).message;
    expect(message).toContain('kernel broken_kernel (test.xlstm:1:1)');
    expect(message).toMatch(/WGSL \d+:\d+: .*\n\d+ \| .*x\[gid\] \* 1u/);
  });

  it('refuses bindings that are missing, mistyped, too small, unknown or aliased for writing', async () => {
    const exec = kit.exec;
    const kernel = affine(32, 1, 0);
    const x = exec.tensor('v.x', 32);
    const y = exec.tensor('v.y', 32);
    const run = (tensors: Record<string, ReturnType<typeof exec.tensor>>) => exec.run([{ kernel, tensors }]);
    await expect(run({ x })).rejects.toThrow(/no tensor for binding 'y'/);
    await expect(run({ x, y: exec.tensor('v.i', 32, 'i32') })).rejects.toThrow(/'y' takes f32, tensor v.i holds i32/);
    await expect(run({ x, y: exec.tensor('v.short', 31) })).rejects.toThrow(/needs 32 elements, tensor v.short has 31/);
    await expect(run({ x, y, z: y })).rejects.toThrow(/no binding 'z'/);
    await expect(run({ x, y: x })).rejects.toThrow(/bound as both 'x' and 'y'/);
    expect(() => bindAll([kernel], { x, y, typo: y })).toThrow(/binding 'typo'/);
    expect(() => exec.uploadI32(x, new Int32Array(4))).toThrow(/holds f32/);
    expect(() => exec.uploadF32(x, new Float32Array(33))).toThrow(/32 elements/);
    // the executor stays usable after refusing
    await expect(run({ x, y })).resolves.toEqual([]);
  });

  it('in debug mode, names the kernel whose dispatch WebGPU rejects', async () => {
    const exec = new Executor(kit.dev, { debug: true });
    try {
      const good = affine(8, 1, 0, { name: 'fine_kernel' });
      const tooWide: KernelSpec = { ...affine(8, 2, 0, { name: 'too_wide_kernel' }), dispatch: [70_000, 1, 1] };
      const t = { x: exec.tensor('x', 8), y: exec.tensor('y', 8) };
      await expect(exec.run([{ kernel: good, tensors: t }, { kernel: tooWide, tensors: t }])).rejects.toThrow(
        /validation error in kernel too_wide_kernel/,
      );
      expect(exec.stats.submits).toBe(2);
    } finally {
      exec.dispose();
    }
  });
});
