import { describe, expect, it } from 'vitest';
import { CONSERVATIVE_TARGET, LLVMPIPE_LOOP_CAP, MAX_WORKGROUPS_PER_DIMENSION, plannedLoopBudget } from '../../../compiler/kernels/kernel.js';
import { buildKernel, f32, foldWorkgroups, u32, type KernelSource } from '../../../compiler/kernels/wgsl.js';

const base: KernelSource = {
  name: 'scale',
  summary: 'y = x * 2',
  bindings: [
    { name: 'x', access: 'read', type: 'f32', elements: 256 },
    { name: 'y', access: 'read_write', type: 'f32', elements: 256 },
  ],
  constants: { TOTAL: u32(256), FACTOR: f32(2), UNUSED: u32(7) },
  workgroupSize: 64,
  workgroups: 4,
  loopIterations: 0,
  body: ['if (gid >= TOTAL) { return; }', 'y[gid] = x[gid] * FACTOR;'],
};

describe('foldWorkgroups', () => {
  it('keeps counts up to 65,535 one-dimensional', () => {
    expect(foldWorkgroups(1)).toEqual({ dispatch: [1, 1, 1], guarded: false });
    expect(foldWorkgroups(65_535)).toEqual({ dispatch: [65_535, 1, 1], guarded: false });
  });

  it.each([65_536, 70_000, 131_070, 1_000_003, 65_535 * 65_535])('folds %i workgroups into 2D covering every one', (count) => {
    const { dispatch, guarded } = foldWorkgroups(count);
    expect(dispatch[0]).toBeLessThanOrEqual(MAX_WORKGROUPS_PER_DIMENSION);
    expect(dispatch[1]).toBeLessThanOrEqual(MAX_WORKGROUPS_PER_DIMENSION);
    expect(dispatch[0] * dispatch[1]).toBeGreaterThanOrEqual(count);
    // the surplus is less than one row, and the shader guards exactly when there is one
    expect(dispatch[0] * dispatch[1] - count).toBeLessThan(dispatch[0]);
    expect(guarded).toBe(dispatch[0] * dispatch[1] !== count);
  });
});

describe('buildKernel', () => {
  it('declares the bindings in order and only the constants the code uses', () => {
    const k = buildKernel(base, CONSERVATIVE_TARGET);
    expect(k.wgsl).toContain('@group(0) @binding(0) var<storage, read> x: array<f32, 256>;');
    expect(k.wgsl).toContain('@group(0) @binding(1) var<storage, read_write> y: array<f32, 256>;');
    expect(k.wgsl).toContain('const TOTAL: u32 = 256u;');
    expect(k.wgsl).toContain('const FACTOR: f32 = 2.0f;');
    expect(k.wgsl).not.toContain('UNUSED');
    expect(k.wgsl).not.toContain('enable f16');
    expect(k.wgsl).not.toContain('WORKGROUPS_X');
    expect(k.dispatch).toEqual([4, 1, 1]);
    expect(k.workgroupSize).toEqual([64, 1, 1]);
  });

  it('starts with a header naming the kernel, its source and its launch', () => {
    const k = buildKernel({ ...base, source: 'char-lm.xlstm:12:3' }, CONSERVATIVE_TARGET);
    const header = k.wgsl.split('\n').slice(0, 4);
    expect(header[0]).toMatch(/^\/\/ .*kernel scale/);
    expect(header[1]).toBe('// from char-lm.xlstm:12:3');
    expect(header[2]).toBe('// y = x * 2');
    expect(header[3]).toContain('dispatch (4, 1, 1)');
  });

  it('gives identical code one cache key whatever its name or source, and different code another', () => {
    const a = buildKernel(base, CONSERVATIVE_TARGET);
    const b = buildKernel({ ...base, name: 'scale_block_3', source: 'x.xlstm:1:1' }, CONSERVATIVE_TARGET);
    const c = buildKernel({ ...base, constants: { ...base.constants, FACTOR: f32(3) } }, CONSERVATIVE_TARGET);
    expect(b.cacheKey).toBe(a.cacheKey);
    expect(c.cacheKey).not.toBe(a.cacheKey);
  });

  it('enables f16 only when asked for, and refuses it when the device lacks it', () => {
    const body = ['let h = f16(x[gid]);', 'y[gid] = f32(h);'];
    expect(() => buildKernel({ ...base, body, f16: true }, CONSERVATIVE_TARGET)).toThrow(/shader-f16/);
    const k = buildKernel({ ...base, body, f16: true }, { ...CONSERVATIVE_TARGET, shaderF16: true });
    expect(k.wgsl.split('\n').find((l) => !l.startsWith('//') && l.trim())).toBe('enable f16;');
  });

  it('folds a large dispatch and guards the surplus workgroups', () => {
    const k = buildKernel({ ...base, workgroupSize: 1, workgroups: 70_001 }, CONSERVATIVE_TARGET);
    expect(k.dispatch[1]).toBe(2);
    expect(k.wgsl).toContain('let wg = wid.x + wid.y * WORKGROUPS_X;');
    expect(k.wgsl).toContain('if (wg >= WORKGROUPS) { return; }');
    expect(k.wgsl).toContain(`const WORKGROUPS_X: u32 = ${k.dispatch[0]}u;`);
  });

  it('refuses a kernel whose loops pass the loop cap, naming the kernel', () => {
    const budget = CONSERVATIVE_TARGET.maxLoopIterationsPerInvocation;
    expect(budget).toBe(plannedLoopBudget(LLVMPIPE_LOOP_CAP));
    expect(() => buildKernel({ ...base, loopIterations: budget }, CONSERVATIVE_TARGET)).not.toThrow();
    expect(() => buildKernel({ ...base, loopIterations: budget + 1 }, CONSERVATIVE_TARGET)).toThrow(
      new RegExp(`kernel scale: ${budget + 1} loop iterations.*budget of ${budget}`),
    );
    expect(() => buildKernel({ ...base, loopIterations: 1e9 }, { ...CONSERVATIVE_TARGET, maxLoopIterationsPerInvocation: Infinity })).not.toThrow();
  });

  it('refuses unused bindings, clashing names and limits the device cannot meet', () => {
    expect(() => buildKernel({ ...base, body: ['y[gid] = 1.0;'] }, CONSERVATIVE_TARGET)).toThrow(/binding 'x' is never used/);
    expect(() => buildKernel({ ...base, constants: { x: u32(1) } }, CONSERVATIVE_TARGET)).toThrow(/distinct/);
    expect(() => buildKernel({ ...base, constants: { gid: u32(1) } }, CONSERVATIVE_TARGET)).toThrow(/'gid' cannot be used/);
    expect(() => buildKernel({ ...base, workgroupSize: 512 }, CONSERVATIVE_TARGET)).toThrow(/512 invocations/);
    expect(() => buildKernel({ ...base, constants: { TOTAL: u32(-1) } }, CONSERVATIVE_TARGET)).toThrow(/not a u32/);
    expect(() => buildKernel({ ...base, constants: { TOTAL: u32(256), FACTOR: f32(NaN) } }, CONSERVATIVE_TARGET)).toThrow(/not finite/);
  });

  it('writes f32 constants as valid WGSL float literals', () => {
    const lit = (v: number): string => {
      const k = buildKernel({ ...base, constants: { TOTAL: u32(256), FACTOR: f32(v) } }, CONSERVATIVE_TARGET);
      return /const FACTOR: f32 = (.*);/.exec(k.wgsl)![1]!;
    };
    expect(lit(1e-5)).toBe('0.00001f');
    expect(lit(1e-7)).toBe('1e-7f');
    expect(lit(-3)).toBe('-3.0f');
    expect(lit(1e21)).toBe('1e+21f');
  });

  it('declares a uniform block after the storage bindings', () => {
    const k = buildKernel(
      { ...base, uniforms: [{ name: 'scale', type: 'f32' }, { name: 'step', type: 'u32' }], body: ['y[gid] = x[gid] * u.scale + f32(u.step);'] },
      CONSERVATIVE_TARGET,
    );
    expect(k.wgsl).toContain('struct Uniforms { scale: f32, step: u32 }');
    expect(k.wgsl).toContain('@group(0) @binding(2) var<uniform> u: Uniforms;');
  });
});
