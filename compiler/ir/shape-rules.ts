import type { DType, OpAttrs, OpKind, TensorType } from './types.js';

/**
 * The typing rule of every op: from its attributes and operand types, the types of its results, or
 * a ShapeError saying what does not fit. The verifier compares these with the types the lowering
 * declared, so a lowering bug and a rule bug have to agree to go unnoticed.
 */

export class ShapeError extends Error {}

function fail(message: string): never {
  throw new ShapeError(message);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function formatType(t: TensorType): string {
  return `${t.dtype}${formatShape(t.shape)}`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function arity(ins: readonly TensorType[], n: number): void {
  if (ins.length !== n) fail(`takes ${n} operand${n === 1 ? '' : 's'}, got ${ins.length}`);
}

function dtype(t: TensorType, want: DType, what: string): void {
  if (t.dtype !== want) fail(`${what} must be ${want}, got ${formatType(t)}`);
}

/** An f32 operand of exactly `shape`. */
function exact(t: TensorType, shape: readonly number[], what: string): void {
  dtype(t, 'f32', what);
  if (!sameShape(t.shape, shape)) fail(`${what} must have shape ${formatShape(shape)}, got ${formatShape(t.shape)}`);
}

/** An f32 operand of rank ≥ 1 whose last axis is `n`. */
function features(t: TensorType, n: number, what: string): void {
  dtype(t, 'f32', what);
  const last = t.shape[t.shape.length - 1];
  if (last !== n) fail(`${what} must have ${n} features in its last axis, got ${formatType(t)}`);
}

function withLast(t: TensorType, n: number): TensorType {
  return { dtype: 'f32', shape: [...t.shape.slice(0, -1), n] };
}

function positive(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 1) fail(`${what} must be a positive integer, got ${n}`);
}

function optionalBias(ins: readonly TensorType[], hasBias: boolean): void {
  arity(ins, hasBias ? 3 : 2);
}

/** Elementwise binary: equal shapes, or one shape a suffix of the other (broadcast over leading axes). */
function broadcast(ins: readonly TensorType[]): TensorType[] {
  arity(ins, 2);
  const [a, b] = ins as [TensorType, TensorType];
  dtype(a, 'f32', 'left operand');
  dtype(b, 'f32', 'right operand');
  const [big, small] = a.shape.length >= b.shape.length ? [a, b] : [b, a];
  if (!sameShape(big.shape.slice(big.shape.length - small.shape.length), small.shape)) {
    fail(`operands ${formatType(a)} and ${formatType(b)} do not broadcast`);
  }
  return [{ dtype: 'f32', shape: big.shape }];
}

function sameActivations(ins: readonly TensorType[], what: string, width: number): TensorType {
  const first = ins[0] as TensorType;
  if (first.shape.length !== 3) fail(`${what} must be [B,T,features], got ${formatType(first)}`);
  for (const t of ins) exact(t, first.shape, what);
  features(first, width, what);
  return first;
}

type Rule<K extends OpKind> = (attrs: OpAttrs[K], ins: readonly TensorType[]) => TensorType[];

export const SHAPE_RULES: { [K in OpKind]: Rule<K> } = {
  embedding(a, ins) {
    arity(ins, 2);
    const [tokens, w] = ins as [TensorType, TensorType];
    dtype(tokens, 'i32', 'tokens');
    exact(w, [a.vocabSize, a.dim], 'embedding weight');
    return [{ dtype: 'f32', shape: [...tokens.shape, a.dim] }];
  },
  layer_norm(a, ins) {
    arity(ins, 2);
    const [x, w] = ins as [TensorType, TensorType];
    features(x, a.dim, 'input');
    exact(w, [a.dim], 'norm weight');
    if (!(a.eps > 0)) fail(`eps must be positive, got ${a.eps}`);
    return [x];
  },
  linear(a, ins) {
    optionalBias(ins, a.bias);
    const [x, w, bias] = ins as [TensorType, TensorType, TensorType | undefined];
    features(x, a.inFeatures, 'input');
    exact(w, [a.outFeatures, a.inFeatures], 'weight');
    if (bias !== undefined) exact(bias, [a.outFeatures], 'bias');
    return [withLast(x, a.outFeatures)];
  },
  split(a, ins) {
    arity(ins, 1);
    const x = ins[0] as TensorType;
    a.sizes.forEach((s) => positive(s, 'split size'));
    features(x, a.sizes.reduce((s, n) => s + n, 0), 'input');
    return a.sizes.map((s) => withLast(x, s));
  },
  causal_conv1d(a, ins) {
    arity(ins, 3);
    const [x, w, bias] = ins as [TensorType, TensorType, TensorType];
    positive(a.kernelSize, 'kernel size');
    if (x.shape.length !== 3) fail(`input must be [B,T,C], got ${formatType(x)}`);
    features(x, a.channels, 'input');
    exact(w, [a.channels, 1, a.kernelSize], 'conv weight');
    exact(bias, [a.channels], 'conv bias');
    return [x];
  },
  activation(_a, ins) {
    arity(ins, 1);
    dtype(ins[0] as TensorType, 'f32', 'input');
    return [ins[0] as TensorType];
  },
  headwise_linear(a, ins) {
    optionalBias(ins, a.bias);
    const [x, w, bias] = ins as [TensorType, TensorType, TensorType | undefined];
    positive(a.numBlocks, 'block count');
    positive(a.blockSize, 'block size');
    const width = a.numBlocks * a.blockSize;
    features(x, width, 'input');
    exact(w, [a.numBlocks, a.blockSize, a.blockSize], 'weight');
    if (bias !== undefined) exact(bias, [width], 'bias');
    return [x];
  },
  concat(a, ins) {
    arity(ins, a.sizes.length);
    if (ins.length < 2) fail('concatenates at least 2 operands');
    const first = ins[0] as TensorType;
    ins.forEach((t, i) => {
      features(t, a.sizes[i] as number, `operand ${i}`);
      if (!sameShape(t.shape.slice(0, -1), first.shape.slice(0, -1))) fail(`operand ${i} ${formatType(t)} does not match ${formatType(first)} before the last axis`);
    });
    return [withLast(first, a.sizes.reduce((s, n) => s + n, 0))];
  },
  mlstm_gates(a, ins) {
    arity(ins, 5);
    const [x, wi, bi, wf, bf] = ins as [TensorType, TensorType, TensorType, TensorType, TensorType];
    features(x, a.inFeatures, 'gate input');
    exact(wi, [a.numHeads, a.inFeatures], 'igate weight');
    exact(bi, [a.numHeads], 'igate bias');
    exact(wf, [a.numHeads, a.inFeatures], 'fgate weight');
    exact(bf, [a.numHeads], 'fgate bias');
    return [withLast(x, a.numHeads), withLast(x, a.numHeads)];
  },
  mlstm_cell(a, ins) {
    arity(ins, 5);
    positive(a.numHeads, 'head count');
    positive(a.headDim, 'head dim');
    if (!(a.eps >= 0)) fail(`eps must be ≥ 0, got ${a.eps}`);
    if ((a.form === 'chunkwise') !== (a.chunkSize !== undefined)) fail('chunkSize is required by, and only by, the chunkwise form');
    if (a.chunkSize !== undefined) positive(a.chunkSize, 'chunk size');
    const qkv = sameActivations(ins.slice(0, 3), 'q/k/v', a.numHeads * a.headDim);
    for (const g of ins.slice(3)) exact(g, withLast(qkv, a.numHeads).shape, 'gate pre-activation');
    return [qkv];
  },
  multihead_layer_norm(a, ins) {
    arity(ins, a.scale === 'none' ? 1 : 2);
    const [x, w] = ins as [TensorType, TensorType | undefined];
    const width = a.numHeads * a.headDim;
    features(x, width, 'input');
    if (w !== undefined) exact(w, [width], 'norm weight');
    if (!(a.eps > 0)) fail(`eps must be positive, got ${a.eps}`);
    return [x];
  },
  mul: (_a, ins) => broadcast(ins),
  add: (_a, ins) => broadcast(ins),
  slstm_cell(a, ins) {
    arity(ins, 6);
    if (a.gateOrder.join('') !== 'ifzo') fail(`gate order must be i,f,z,o, got ${a.gateOrder.join(',')}`);
    const E = a.numHeads * a.headDim;
    const x = sameActivations(ins.slice(0, 4), 'gate pre-activation', E);
    exact(ins[4] as TensorType, [a.numHeads, 4 * a.headDim, a.headDim], 'recurrent kernel');
    exact(ins[5] as TensorType, [4 * E], 'bias');
    return [x];
  },
  dropout(a, ins) {
    arity(ins, 1);
    if (!(a.p > 0 && a.p < 1)) fail(`p must be in (0, 1), got ${a.p}`);
    dtype(ins[0] as TensorType, 'f32', 'input');
    return [ins[0] as TensorType];
  },
  lm_head(a, ins) {
    arity(ins, 2);
    const [x, w] = ins as [TensorType, TensorType];
    features(x, a.dim, 'input');
    exact(w, [a.vocabSize, a.dim], 'head weight');
    return [withLast(x, a.vocabSize)];
  },
  cross_entropy(a, ins) {
    arity(ins, 2);
    const [logits, targets] = ins as [TensorType, TensorType];
    features(logits, a.vocabSize, 'logits');
    dtype(targets, 'i32', 'targets');
    if (!sameShape(targets.shape, logits.shape.slice(0, -1))) fail(`targets ${formatType(targets)} do not match logits ${formatType(logits)}`);
    const count = targets.shape.reduce((n, d) => n * d, 1);
    if (a.count !== count) fail(`count ${a.count} is not the number of positions ${count}`);
    return [{ dtype: 'f32', shape: [] }];
  },
};
