import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KernelTarget } from '../../../compiler/kernels/kernel.js';
import { numElements, parameterSpecs } from '../../../compiler/params.js';
import { planTrain } from '../../../compiler/plan/backward-plan.js';
import { SLOT_ALIGNMENT } from '../../../compiler/plan/parameter-slots.js';
import { printTrainPlan } from '../../../compiler/plan/print-train-plan.js';
import type { TrainPlan, TrainPlanOptions } from '../../../compiler/plan/train-plan-types.js';
import type { ModelSpec } from '../../../compiler/spec.js';
import { loadGoldenCase } from '../../helpers/golden.js';
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

const ADAMW = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, clip: 1 };

function plan(spec: ModelSpec, o: Partial<TrainPlanOptions> = {}): TrainPlan {
  return planTrain(spec, { batch: 2, seqLen: 6, target: LLVMPIPE, optimizer: ADAMW, ...o });
}

/** The buffer each dispatch of kernel `kernel` binds to `binding`. */
function boundTo(p: TrainPlan, kernel: string, binding: string): string[] {
  return p.steps.filter((s) => s.kernel.name === kernel).map((s) => s.tensors[binding]!);
}

describe('planTrain', () => {
  it.each([
    ['m s m, untied', tinyModelSpec()],
    ['s m, tied, no conv, no post-blocks norm', tinyModelSpec({ blocks: ['s', 'm'], tieWeights: true, slstmConv: 0, addPostBlocksNorm: false })],
  ])('gives every trainable parameter one gradient, written by the kernels that read the parameter: %s', (_, spec) => {
    const p = plan(spec);
    const trainable = parameterSpecs(spec).filter((x) => x.tiedTo === undefined);
    const grads = p.buffers.filter((b) => b.kind === 'gradient' && b.name !== p.flat.grads);
    expect(grads.map((b) => b.name).sort()).toEqual(trainable.map((x) => `grad:${x.name}`).sort());
    for (const x of trainable) expect(grads.find((b) => b.name === `grad:${x.name}`)!.elements).toBe(numElements(x.shape));
    // the LM head's weight gradient and the embedding's scatter land in one tensor when tied
    const head = boundTo(p, 'lm_head_backward_dw', 'dw');
    const table = boundTo(p, 'embedding_backward', 'dTable');
    expect(head).toEqual([spec.tieWeights ? 'grad:token_embedding.weight' : 'grad:lm_head.weight']);
    expect(table).toEqual(['grad:token_embedding.weight']);
  });

  it('lays the parameters out flat in named_parameters order, 256-byte aligned, with the official decay group', async () => {
    const g = await loadGoldenCase('mixed_1_1');
    const official = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'golden', 'case_mixed_1_1', 'config.json'), 'utf8')).golden as {
      weight_decay_param_names: string[];
    };
    const { slots, elements } = plan(g.spec).parameters;
    expect(slots.map((s) => s.name)).toEqual([...g.grads.keys()]);
    let end = 0;
    for (const s of slots) {
      expect(s.offset % SLOT_ALIGNMENT).toBe(0);
      expect(s.offset).toBeGreaterThanOrEqual(end);
      expect(s.elements).toBe(g.grads.get(s.name)!.length);
      end = s.offset + s.elements;
    }
    expect(elements).toBeGreaterThanOrEqual(end);
    expect(elements % SLOT_ALIGNMENT).toBe(0);
    expect(slots.filter((s) => s.decay).map((s) => s.name).sort()).toEqual([...official.weight_decay_param_names].sort());
  });

  it('runs forward, then the backward from the loss to the embedding, then the gradient norm and AdamW', () => {
    const p = plan(tinyModelSpec());
    const { forward, backward, optimizer } = p.phases;
    expect(forward + backward + optimizer).toBe(p.steps.length);
    const names = p.steps.map((s) => s.kernel.name);
    expect(names[forward - 1]).toBe('lm_head');
    expect(names.slice(forward, forward + 2)).toEqual(['cross_entropy_rows', 'cross_entropy_mean']);
    expect(names[forward + backward - 1]).toBe('embedding_backward');
    expect(names.slice(forward + backward)).toEqual(['grad_norm_partials', 'grad_norm_finish', 'adamw']);
    const adamw = p.steps[p.steps.length - 1]!;
    expect(adamw.runUniforms).toEqual(['lr', 'bc1', 'bc2Sqrt']);
    expect(adamw.tensors).toEqual({ params: 'params', grads: 'grads', m: 'adam.exp_avg', v: 'adam.exp_avg_sq', decayMask: 'adam.decay_mask', gradNorm: 'gradNorm' });
    // no decay, no mask
    expect(plan(tinyModelSpec(), { optimizer: { ...ADAMW, weightDecay: 0 } }).steps.at(-1)!.tensors['decayMask']).toBeUndefined();
  });

  it('shares one gradient buffer along the residual stream, from the LM head down to the embedding', () => {
    const p = plan(tinyModelSpec());
    const stream = boundTo(p, 'lm_head_backward_ln_dx', 'dx');
    expect(stream).toHaveLength(1);
    expect(boundTo(p, 'embedding_backward', 'dy')).toEqual(stream);
    // every block's pre-norm backward adds into it
    for (const kernel of ['block0_proj_up_backward_ln_dx', 'block1_xlstm_norm_backward_dx', 'block1_ffn_proj_up_backward_ln_dx', 'block2_proj_up_backward_ln_dx']) {
      expect(boundTo(p, kernel, 'dx'), kernel).toEqual(stream);
    }
  });

  it('keeps the per-layer inputs and cell results, and recomputes the cheap elementwise outputs instead of keeping them', () => {
    const p = plan(tinyModelSpec());
    const stored = p.stored.map((s) => s.buffer);
    for (const kept of ['embedding', 'residual', 'x_inner', 'qkv', 'h', 'y', 'normed', 'ffn_up']) {
      expect(stored.some((b) => b.endsWith(`:${kept}`)), kept).toBe(true);
    }
    for (const dropped of ['conv_act', 'h_state', 'ffn_gated']) {
      expect(stored.some((b) => b.endsWith(`:${dropped}`)), dropped).toBe(false);
      expect(p.recomputed.some((r) => r.includes(`:${dropped}:`)), dropped).toBe(true);
    }
    const storedBytes = p.stored.reduce((n, s) => n + 4 * s.elements, 0);
    expect(p.peakActivationBytes).toBeGreaterThan(storedBytes);
  });

  it('scales dLogits by the gradScale input when micro-batches make a step', () => {
    const spec = tinyModelSpec();
    const one = plan(spec);
    const two = plan(spec, { microBatches: 2 });
    expect(one.inputs.gradScale).toBeUndefined();
    expect(two.inputs.gradScale).toBe('gradScale');
    const scale = two.steps.findIndex((s) => s.kernel.name === 'grad_scale');
    expect(scale).toBe(two.phases.forward + 2);
    expect(two.steps[scale]!.tensors['b']).toBe('gradScale');
    expect(two.steps.length).toBe(one.steps.length + 1);
    expect(() => plan(spec, { microBatches: 0 })).toThrow(/micro-batches/);
  });

  it('prints the phases, memory, stored and recomputed values and every dispatch', () => {
    const p = plan(tinyModelSpec({ blocks: ['m', 's'] }));
    const text = printTrainPlan(p);
    const { forward, backward, optimizer } = p.phases;
    expect(text).toContain(`${p.steps.length} dispatches per step (forward ${forward}, backward ${backward}, optimizer ${optimizer})`);
    expect(text).toMatch(/stored \(forward values the backward reads\):\n {2}logits /);
    expect(text).toContain('sLSTM tape');
    for (const s of p.parameters.slots) expect(text).toContain(` ${s.name} [${s.shape.join(', ')}]`);
    expect(text.split('\n').filter((l) => /^ {2}[ \d]{2}\d \S/.test(l))).toHaveLength(p.steps.length);
  });
});
