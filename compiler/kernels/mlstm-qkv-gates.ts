import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { linearKernels } from './linear.js';
import { buildKernel, u32 } from './wgsl.js';

/**
 * The mLSTM layer's q/k/v projections and gate pre-activations:
 *   q = Headwise(c; q_proj), k = Headwise(c; k_proj), v = Headwise(x_m; v_proj)   (v reads the pre-conv x_m)
 *   ĩ = concat(q,k,v)·igateᵀ + igate.bias,  f̃ = concat(q,k,v)·fgateᵀ + fgate.bias   [B,T,NH]
 * `Headwise` is block-diagonal: out[p·b + o] = Σ_i W[p,o,i] · in[p·b + i] (+ bias), b = blockSize.
 *
 * q, k, v go into one tensor `qkv` [B,T,3I] laid out as concat(q,k,v), the very matrix the gates
 * multiply, and the layout the mLSTM cell kernels read.
 *
 * The gates are not fused into the projection kernel: fusing would need 12 storage bindings (15
 * with projection biases), where WebGPU guarantees 8 and browsers typically expose 8–10, and each gate
 * is a reduction over all 3I features of a row while the projections are independent per feature.
 * They are instead the existing register-blocked `linear` kernel on `qkv`, one dispatch per gate
 * (igate and fgate are separate official tensors).
 *
 * Kernels and their bindings:
 *   projections: conv [B·T·I] (the conv output c), xm [B·T·xmRowStride], wq, wk, wv [I·blockSize]
 *     (official [P, b, b]), bq, bk, bv [I] with `bias`, qkv [B·T·3I]. One kernel, or, when those
 *     bindings exceed the device's storage-buffer limit, one per group of projections (q+k, v).
 *   igate, fgate: `linear` bindings x = qkv, w = the gate weight [NH, 3I], bias = its bias [NH],
 *     y = the gate pre-activations [B·T·NH] (plus `partial` scratch if the linear splits its K loop).
 */
export interface MlstmQkvGatesOptions {
  batch: number;
  time: number;
  heads: number;
  /** I, the mLSTM inner dimension (NH·DH). */
  innerDim: number;
  /** qkv_proj_blocksize: features per block of the block-diagonal projections. */
  blockSize: number;
  /** The projections have biases (the layer's `bias` option). */
  bias?: boolean;
  /** Elements from one time step of x_m to the next (default I; 2I when reading x_m inside proj_up's output). */
  xmRowStride?: number;
  name?: string;
  source?: string;
}

export interface MlstmQkvGatesKernels {
  projections: KernelSpec[];
  igate: KernelSpec[];
  fgate: KernelSpec[];
}

type Projection = 'q' | 'k' | 'v';
const PROJECTIONS: readonly Projection[] = ['q', 'k', 'v'];
const ROWS_PER_INVOCATION = 8;
/** Ways to group the projections into kernels, fewest dispatches first. */
const GROUPINGS: readonly (readonly Projection[])[][] = [[['q', 'k', 'v']], [['q', 'k'], ['v']], [['q'], ['k'], ['v']]];

export function mlstmQkvGatesKernels(o: MlstmQkvGatesOptions, target: KernelTarget): MlstmQkvGatesKernels {
  const { batch: B, time: T, heads: NH, innerDim: I, blockSize: BS } = o;
  for (const [dim, v] of Object.entries({ B, T, NH, I, BS })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`mLSTM qkv: ${dim} must be a positive integer, got ${v}`);
  }
  if (I % BS !== 0) throw new Error(`mLSTM qkv: inner dim ${I} is not a multiple of the block size ${BS}`);
  if (I % NH !== 0) throw new Error(`mLSTM qkv: inner dim ${I} is not a multiple of the ${NH} heads`);
  const name = o.name ?? `mlstm_qkv_${B}x${T}x${I}_b${BS}`;
  const grouping =
    GROUPINGS.find((g) => g.every((group) => projectionBindings(o, group).length <= target.maxStorageBuffersPerShaderStage)) ??
    GROUPINGS[GROUPINGS.length - 1]!;
  const projections = grouping.map((group) => projectionKernel(o, group, grouping.length > 1 ? `${name}_${group.join('')}` : name, target));
  const gate = (which: 'igate' | 'fgate'): KernelSpec[] =>
    linearKernels({ m: B * T, n: NH, k: 3 * I, bias: true, name: `${name}_${which}`, ...(o.source !== undefined ? { source: o.source } : {}) }, target);
  return { projections, igate: gate('igate'), fgate: gate('fgate') };
}

function projectionBindings(o: MlstmQkvGatesOptions, group: readonly Projection[]): KernelBinding[] {
  const { batch: B, time: T, innerDim: I, blockSize: BS } = o;
  const rows = B * T;
  const read = (name: string, elements: number): KernelBinding => ({ name, access: 'read', type: 'f32', elements });
  const bindings: KernelBinding[] = [];
  if (group.includes('q') || group.includes('k')) bindings.push(read('conv', rows * I));
  if (group.includes('v')) bindings.push(read('xm', rows * (o.xmRowStride ?? I)));
  for (const p of group) bindings.push(read(`w${p}`, I * BS));
  if (o.bias) for (const p of group) bindings.push(read(`b${p}`, I));
  bindings.push({ name: 'qkv', access: 'read_write', type: 'f32', elements: rows * 3 * I });
  return bindings;
}

/**
 * One invocation per (feature, RB rows): the group's projections of that feature for RB rows, sharing
 * the block loop; each weight it loads serves RB rows (llvmpipe is bound by loads, see mlstm-parallel).
 */
function projectionKernel(o: MlstmQkvGatesOptions, group: readonly Projection[], name: string, target: KernelTarget): KernelSpec {
  const { batch: B, time: T, innerDim: I, blockSize: BS } = o;
  const xmStride = o.xmRowStride ?? I;
  if (!Number.isInteger(xmStride) || xmStride < I) throw new Error(`mLSTM qkv: x_m row stride ${xmStride} is below the inner dim ${I}`);
  const rows = B * T;
  const RB = Math.min(ROWS_PER_INVOCATION, rows);
  const threads = Math.ceil(rows / RB) * I;
  const size = Math.min(64, target.maxComputeInvocationsPerWorkgroup);
  const rowIds = Array.from({ length: RB }, (_, r) => r);
  const source = (p: Projection, r: number): string => (p === 'v' ? `xm[xmBase${r} + i]` : `conv[convBase${r} + i]`);
  const body = [
    'if (gid >= THREADS) { return; }',
    'let f = gid % I;',
    'let firstRow = (gid / I) * RB;',
    'let blockStart = f - f % BS;',
    ...rowIds.flatMap((r) => [
      `let row${r} = min(firstRow + ${r}u, ROWS - 1u);`,
      ...(group.includes('v') ? [`let xmBase${r} = row${r} * XM_STRIDE + blockStart;`] : []),
      ...(group.some((p) => p !== 'v') ? [`let convBase${r} = row${r} * I + blockStart;`] : []),
      ...group.map((p) => `var ${p}${r} = ${o.bias ? `b${p}[f]` : '0.0'};`),
    ]),
    'for (var i = 0u; i < BS; i++) {',
    ...group.flatMap((p) => [`  let w${p}i = w${p}[f * BS + i];`, ...rowIds.map((r) => `  ${p}${r} += w${p}i * ${source(p, r)};`)]),
    '}',
    ...rowIds.flatMap((r) => {
      const stores = group.map((p) => `qkv[(firstRow + ${r}u) * 3u * I + ${PROJECTIONS.indexOf(p)}u * I + f] = ${p}${r};`);
      return rows % RB === 0 ? stores : [`if (firstRow + ${r}u < ROWS) {`, ...stores.map((x) => `  ${x}`), '}'];
    }),
  ];
  return buildKernel(
    {
      name,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary: `${group.join(', ')} = headwise projections (${I / BS} blocks of ${BS}${o.bias ? ', with bias' : ''}) into qkv[${B},${T},3·${I}]`,
      bindings: projectionBindings(o, group),
      constants: { I: u32(I), BS: u32(BS), RB: u32(RB), ROWS: u32(rows), XM_STRIDE: u32(xmStride), THREADS: u32(threads) },
      workgroupSize: size,
      workgroups: Math.ceil(threads / size),
      loopIterations: BS + 1,
      body,
    },
    target,
  );
}
