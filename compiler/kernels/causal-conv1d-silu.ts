import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { buildKernel, u32 } from './wgsl.js';

/**
 * The official `CausalConv1d` (depthwise, causal, with bias) fused with SiLU:
 *   y[b,t,c] = SiLU(bias[c] + Σ_{j<K} W[c,0,j] · x[b, t−(K−1)+j, c]),
 * tap K−1 being the current step. Before t = 0 the history is zero, or, for a stream fed in pieces,
 * comes from `stateIn`: the official conv state [B, K, C], the last K inputs before this piece,
 * oldest first (the oldest one no longer reaches any output; it is kept for the official layout).
 * `stateOut` receives the same state after this piece, so piece after piece equals the whole
 * sequence, and a one-step piece is the official `conv1d_step`. K = 0 (the sLSTM's "no conv") is not
 * a kernel: the caller uses its input as is.
 *
 * One invocation per output element (taps unrolled, no loops); extra invocations copy the state out.
 *
 * Bindings: x [B·T·inputRowStride], weight [C·K] (official [C,1,K]), bias [C], y [B·T·C];
 * stateIn [B·K·C] with `stateIn`; stateOut [B·K·C] with `stateOut` (a different tensor from stateIn:
 * ping-pong two buffers when streaming).
 */
export interface CausalConv1dSiluOptions {
  batch: number;
  time: number;
  channels: number;
  /** Taps K ≥ 1. */
  kernelSize: number;
  /** Apply SiLU to the output (default true). */
  silu?: boolean;
  /**
   * Elements from one time step of x to the next (default `channels`): the mLSTM reads x_m, the first
   * I features of proj_up's 2I-wide rows, in place with a stride of 2I.
   */
  inputRowStride?: number;
  stateIn?: boolean;
  stateOut?: boolean;
  name?: string;
  source?: string;
}

export function causalConv1dSiluKernel(o: CausalConv1dSiluOptions, target: KernelTarget): KernelSpec {
  const { batch: B, time: T, channels: C, kernelSize: K } = o;
  const stride = o.inputRowStride ?? C;
  for (const [dim, v] of Object.entries({ B, T, C, K })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`causal conv1d: ${dim} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(stride) || stride < C) throw new Error(`causal conv1d: input row stride ${stride} is below the ${C} channels`);
  const silu = o.silu ?? true;
  const outputs = B * T * C;
  const stateElements = B * K * C;

  const bindings: KernelBinding[] = [
    { name: 'x', access: 'read', type: 'f32', elements: B * T * stride },
    { name: 'weight', access: 'read', type: 'f32', elements: C * K },
    { name: 'bias', access: 'read', type: 'f32', elements: C },
  ];
  if (o.stateIn) bindings.push({ name: 'stateIn', access: 'read', type: 'f32', elements: stateElements });
  bindings.push({ name: 'y', access: 'read_write', type: 'f32', elements: outputs });
  if (o.stateOut) bindings.push({ name: 'stateOut', access: 'read_write', type: 'f32', elements: stateElements });

  // Tap j reads step t − back with back = K−1−j; a step before 0 is entry K − back + t of stateIn.
  const taps: string[] = [];
  for (let j = 0; j < K; j++) {
    const back = K - 1 - j;
    const w = `weight[ch * K + ${j}u]`;
    if (back === 0) {
      taps.push(`acc += ${w} * x[bt * STRIDE + ch];`);
      continue;
    }
    taps.push(`if (t >= ${back}u) {`, `  acc += ${w} * x[(bt - ${back}u) * STRIDE + ch];`);
    if (o.stateIn) taps.push('} else {', `  acc += ${w} * stateIn[(b * K + K - ${back}u + t) * C + ch];`);
    taps.push('}');
  }

  const body = [
    'if (gid >= THREADS) { return; }',
    ...(o.stateOut ? ['if (gid < OUTPUTS) {'] : ['{']),
    '  let ch = gid % C;',
    '  let bt = gid / C;',
    '  let t = bt % T;',
    '  let b = bt / T;',
    '  var acc = bias[ch];',
    ...taps.map((l) => `  ${l}`),
    // SiLU as x / (1 + e^{−x}): e^{−x} = ∞ gives −0, never NaN.
    `  y[gid] = ${silu ? 'acc / (1.0 + exp(-acc))' : 'acc'};`,
    '}',
  ];
  if (o.stateOut) {
    // Entry j of the new state is the input at step T − K + j, from x or, before 0, from stateIn.
    body.push(
      'else {',
      '  let e = gid - OUTPUTS;',
      '  let ch = e % C;',
      '  let j = (e / C) % K;',
      '  let b = e / (C * K);',
      '  if (j + T >= K) {',
      '    stateOut[e] = x[(b * T + j + T - K) * STRIDE + ch];',
      '  } else {',
      `    stateOut[e] = ${o.stateIn ? 'stateIn[(b * K + T + j) * C + ch]' : '0.0'};`,
      '  }',
      '}',
    );
  }

  const threads = outputs + (o.stateOut ? stateElements : 0);
  const size = Math.min(64, target.maxComputeInvocationsPerWorkgroup);
  return buildKernel(
    {
      name: o.name ?? `causal_conv1d${silu ? '_silu' : ''}_${B}x${T}x${C}_k${K}`,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary:
        `y[${B},${T},${C}] = ${silu ? 'SiLU(' : ''}causal depthwise conv1d, ${K} taps, + bias${silu ? ')' : ''}` +
        `${o.stateIn ? ', history from stateIn' : ', zero history'}${o.stateOut ? ', last K inputs to stateOut' : ''}`,
      bindings,
      constants: { C: u32(C), T: u32(T), K: u32(K), STRIDE: u32(stride), OUTPUTS: u32(outputs), THREADS: u32(threads) },
      workgroupSize: size,
      workgroups: Math.ceil(threads / size),
      loopIterations: 0,
      body,
    },
    target,
  );
}
