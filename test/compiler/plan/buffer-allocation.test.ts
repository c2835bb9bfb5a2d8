import { describe, expect, it } from 'vitest';
import type { KernelSpec } from '../../../compiler/kernels/kernel.js';
import { allocateBuffers } from '../../../compiler/plan/buffer-allocation.js';
import type { LogicalBuffer } from '../../../compiler/plan/plan-builder.js';
import type { PlanStep } from '../../../compiler/plan/plan-types.js';

/** A kernel reading `x` (and `w`) and writing `y`; only its bindings matter here. */
function kernel(name: string, withWeight = false): KernelSpec {
  const bindings = [
    { name: 'x', access: 'read' as const, type: 'f32' as const, elements: 1 },
    ...(withWeight ? [{ name: 'w', access: 'read' as const, type: 'f32' as const, elements: 1 }] : []),
    { name: 'y', access: 'read_write' as const, type: 'f32' as const, elements: 1 },
  ];
  return { name, bindings, workgroupSize: [1, 1, 1], dispatch: [1, 1, 1], wgsl: '', cacheKey: name, loopIterations: 0 };
}

const buffer = (name: string, elements: number, kind: LogicalBuffer['kind'] = 'activation'): [string, LogicalBuffer] => [
  name,
  { name, elements, type: 'f32', kind },
];

describe('allocateBuffers', () => {
  it('reuses a buffer once the last step reading its value is done, never within one step', () => {
    // a chain: A → B → C → D, each value read by the next step only; A, B, C live 2 steps, D 1
    const logical = new Map([buffer('tokens', 4, 'input'), buffer('w', 8, 'param'), buffer('A', 10), buffer('B', 20), buffer('C', 5), buffer('D', 30)]);
    const steps: PlanStep[] = [
      { kernel: kernel('s0'), tensors: { x: 'tokens', y: 'A' }, source: 's0' },
      { kernel: kernel('s1', true), tensors: { x: 'A', w: 'w', y: 'B' }, source: 's1' },
      { kernel: kernel('s2'), tensors: { x: 'B', y: 'C' }, source: 's2' },
      { kernel: kernel('s3'), tensors: { x: 'C', y: 'D' }, source: 's3' },
    ];
    const { buffers, steps: bound } = allocateBuffers(logical, steps);
    const byName = new Map(buffers.map((b) => [b.name, b]));
    // A [0,1] and B [1,2] overlap at step 1; C [2,3] takes A's buffer (free after step 1, the
    // smallest that fits); D [3,3] takes B's (free after step 2), grown from 20 to 30
    expect(byName.get('pool.0')).toMatchObject({ elements: 10, holds: ['A', 'C'] });
    expect(byName.get('pool.1')).toMatchObject({ elements: 30, holds: ['B', 'D'] });
    expect(byName.get('w')).toMatchObject({ kind: 'param', holds: ['w'] });
    expect(bound.map((s) => s.tensors)).toEqual([
      { x: 'tokens', y: 'pool.0' },
      { x: 'pool.0', w: 'w', y: 'pool.1' },
      { x: 'pool.1', y: 'pool.0' },
      { x: 'pool.0', y: 'pool.1' },
    ]);
  });

  it('leaves out buffers no step binds and refuses steps binding unknown ones', () => {
    const logical = new Map([buffer('tokens', 4, 'input'), buffer('unused', 4, 'output'), buffer('A', 4)]);
    const { buffers } = allocateBuffers(logical, [{ kernel: kernel('s0'), tensors: { x: 'tokens', y: 'A' }, source: 's0' }]);
    expect(buffers.map((b) => b.name)).toEqual(['tokens', 'pool.0']);
    expect(() => allocateBuffers(logical, [{ kernel: kernel('s0'), tensors: { x: 'nope', y: 'A' }, source: 's0' }])).toThrow(/unknown buffer nope/);
  });
});
