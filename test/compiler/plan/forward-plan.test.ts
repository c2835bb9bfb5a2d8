import { describe, expect, it } from 'vitest';
import { lowerModel } from '../../../compiler/ir/lower.js';
import type { KernelTarget } from '../../../compiler/kernels/kernel.js';
import { planForward } from '../../../compiler/plan/forward-plan.js';
import { planLimitNeeds, unmetLimitNeeds } from '../../../compiler/plan/plan-limits.js';
import type { ForwardPlan, PlanOptions } from '../../../compiler/plan/plan-types.js';
import { pipelineCount, printPlan } from '../../../compiler/plan/print-plan.js';
import { tinyModelSpec } from '../../helpers/random-model.js';

/** The limits `kernelTargetOf` reports for Dawn's GL backend on llvmpipe (DESIGN.md §7). */
const LLVMPIPE: KernelTarget = {
  maxLoopIterationsPerInvocation: 65_535,
  shaderF16: false,
  maxComputeInvocationsPerWorkgroup: 1024,
  maxComputeWorkgroupStorageSize: 32_768,
  maxStorageBuffersPerShaderStage: 16,
  maxStorageBufferBindingSize: 2 ** 27,
};

const spec = tinyModelSpec(); // blocks m, s, m
const plan = (o: Partial<PlanOptions> = {}): ForwardPlan => planForward(spec, { batch: 2, seqLen: 5, target: LLVMPIPE, mode: 'parallel', ...o });
const names = (p: ForwardPlan) => p.steps.map((s) => s.kernel.name);

/** What each fused group of the official blocks is, written out by hand from the fusion rules. */
const MLSTM_BLOCK = (i: number) => [
  `block${i}_proj_up_ln_stats`, // xlstm_norm statistics for the prologue
  `block${i}_proj_up`, // LN(x)·Wᵀ
  `block${i}_conv1d_silu`,
  `block${i}_qkv`, // q, k, v projections into concat(q, k, v)
  `block${i}_igate`,
  `block${i}_fgate`,
  `block${i}_mlstm_parallel`,
  `block${i}_mlstm_output`, // outnorm + skip ⊙ c, ⊙ SiLU(z)
  `block${i}_proj_down`, // with the residual add
];
const SLSTM_BLOCK = (i: number) => [
  `block${i}_xlstm_norm_stats`,
  `block${i}_xlstm_norm`, // materialised: the conv and the z/o gates read it
  `block${i}_conv1d_silu`,
  `block${i}_slstm_gates`,
  `block${i}_slstm_cell`,
  `block${i}_group_norm_stats`,
  `block${i}_group_norm`, // with the residual add
  `block${i}_ffn_proj_up_ln_stats`,
  `block${i}_ffn_proj_up`,
  `block${i}_ffn_gelu_gated`,
  `block${i}_ffn_proj_down`, // with the residual add
];

describe('planForward', () => {
  it('fuses each block into the kernels the fusion rules give, in order', () => {
    const p = plan({ loss: true });
    expect(names(p)).toEqual([
      'embedding',
      ...MLSTM_BLOCK(0),
      ...SLSTM_BLOCK(1),
      ...MLSTM_BLOCK(2),
      'lm_head_ln_stats',
      'lm_head',
      'cross_entropy_rows',
      'cross_entropy_mean',
    ]);
    expect(p.outputs).toEqual({ logits: 'logits', loss: 'loss' });
    expect(p.inputs).toEqual({ tokens: 'tokens', targets: 'targets' });
  });

  it('computes every IR op somewhere (split and dropout are free), fused or not', () => {
    const ir = lowerModel(spec, { batch: 2, seqLen: 5 });
    for (const fuse of [true, false]) {
      const sources = plan({ fuse, loss: true }).steps.map((s) => s.source).join('; ');
      for (const op of ir.ops) if (op.op !== 'split' && op.op !== 'dropout') expect(sources, `${op.source}, fuse ${fuse}`).toContain(op.source);
    }
  });

  it('without fusion gives each IR op its own kernels, except the groups it notes', () => {
    const unfused = plan({ fuse: false });
    expect(unfused.notes.length).toBeGreaterThan(0);
    for (const s of unfused.steps) {
      const ops = s.source.split('; ');
      if (ops.length > 1) expect(/q_proj|fgate module/.test(s.source), s.source).toBe(true);
    }
    expect(unfused.steps.length).toBeGreaterThan(plan().steps.length);
    expect(names(unfused)).toContain('block0_residual');
    expect(names(unfused)).toContain('block0_conv_silu');
  });

  it('binds the state as each mode needs it', () => {
    const stateBuffers = (p: ForwardPlan) => p.buffers.filter((b) => b.kind === 'state').map((b) => b.name).sort();
    expect(stateBuffers(plan())).toEqual([]);
    const written = ['state:block.0.conv:out', 'state:block.0.mlstm.C', 'state:block.0.mlstm.m', 'state:block.0.mlstm.n', 'state:block.1.conv:out', 'state:block.1.slstm'];
    const all = [...written, 'state:block.2.conv:out', 'state:block.2.mlstm.C', 'state:block.2.mlstm.m', 'state:block.2.mlstm.n'];
    expect(stateBuffers(plan({ stateOut: true }))).toEqual(all.sort());
    const recurrent = plan({ mode: 'recurrent', seqLen: 1 });
    expect(stateBuffers(recurrent)).toEqual([...all, 'state:block.0.conv:in', 'state:block.1.conv:in', 'state:block.2.conv:in'].sort());
    expect(names(recurrent)).toContain('block0_mlstm_recurrent');
    // the sLSTM cell starts from zeros on a fresh state and from the state buffer otherwise
    const cell = recurrent.steps.find((s) => s.kernel.name === 'block1_slstm_cell')!;
    expect(cell.freshUniforms?.['init']).not.toBe(cell.uniforms?.['init']);
  });

  it('samples on the device only for one position per sequence', () => {
    const p = plan({ mode: 'recurrent', seqLen: 1, sample: true });
    expect(p.steps.at(-1)!.kernel.name).toBe('sample_token');
    expect(p.steps.at(-1)!.runUniforms).toEqual(['temperature', 'topK', 'topP']);
    expect(p.outputs.token).toBe('token');
    expect(() => plan({ sample: true })).toThrow(/sequence length 1/);
  });

  it('keeps every kernel under a small loop cap by splitting work', () => {
    const capped = { ...LLVMPIPE, maxLoopIterationsPerInvocation: 200 };
    const p = planForward(spec, { batch: 2, seqLen: 600, target: capped, mode: 'recurrent' });
    expect(p.steps.every((s) => s.kernel.loopIterations <= 200)).toBe(true);
    const launches = p.steps.filter((s) => s.kernel.name === 'block1_slstm_cell');
    expect(launches.length).toBeGreaterThan(1);
    expect(launches.map((s) => s.uniforms!['t0'])).toEqual([...launches.keys()].map((i) => i * launches[0]!.uniforms!['steps']!));
  });
});

describe('buffers of a plan', () => {
  it('never binds one buffer twice in a dispatch where one binding writes it', () => {
    for (const p of [plan({ loss: true }), plan({ fuse: false }), plan({ mode: 'recurrent', seqLen: 1, sample: true }), plan({ stateOut: true })]) {
      for (const s of p.steps) {
        const written = s.kernel.bindings.filter((b) => b.access === 'read_write').map((b) => s.tensors[b.name]);
        const all = s.kernel.bindings.map((b) => s.tensors[b.name]);
        for (const w of written) expect(all.filter((x) => x === w), `${s.kernel.name}: ${w}`).toHaveLength(1);
      }
    }
  });

  it('shares buffers between values whose lifetimes do not overlap', () => {
    const pooled = plan().buffers.filter((b) => b.kind === 'activation' || b.kind === 'scratch');
    expect(pooled.length).toBeLessThan(pooled.flatMap((b) => b.holds).length);
  });

  it('reports the device limits it needs and which of them a device lacks', () => {
    const p = plan({ loss: true });
    const needs = new Map(planLimitNeeds(p).map((n) => [n.limit, n]));
    const logitsBytes = 4 * 2 * 5 * spec.vocabSize;
    expect(needs.get('maxStorageBufferBindingSize')!.need).toBeGreaterThanOrEqual(logitsBytes);
    expect(needs.get('maxStorageBuffersPerShaderStage')!.need).toBeLessThanOrEqual(LLVMPIPE.maxStorageBuffersPerShaderStage);
    expect(unmetLimitNeeds(p, { maxBufferSize: 1e9, maxStorageBufferBindingSize: 1e9, maxStorageBuffersPerShaderStage: 16, maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupsPerDimension: 65535 })).toEqual([]);
    expect(unmetLimitNeeds(p, { maxBufferSize: 16, maxStorageBufferBindingSize: 1e9, maxStorageBuffersPerShaderStage: 16, maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupsPerDimension: 65535 }).map((n) => n.limit)).toEqual(['maxBufferSize']);
  });
});

describe('printPlan', () => {
  it('lists the totals, every buffer and every dispatch with the IR ops it computes', () => {
    const p = plan({ loss: true });
    const text = printPlan(p);
    expect(text.split('\n')[0]).toBe('plan Tiny: batch 2 × 5 tokens, parallel, fused');
    expect(text).toContain(`${p.steps.length} dispatches, ${pipelineCount(p)} pipelines`);
    for (const b of p.buffers) expect(text).toContain(b.name);
    for (const s of p.steps) expect(text).toContain(`← ${s.source}`);
    expect(pipelineCount(p)).toBeLessThan(p.steps.length); // blocks 0 and 2 share their kernels
    expect(printPlan(plan({ mode: 'recurrent', seqLen: 1 }))).toMatch(/block1_slstm_cell .* uniforms t0=0 steps=1 init=1 \(from the zero state: t0=0 steps=1 init=0\)/);
  });
});
