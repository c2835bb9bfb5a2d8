import type { ModelSpec } from '../spec.js';
import type { IrBuilder, Ref, Scope } from './builder.js';

/** What every lowering step needs: the builder, the model, the static batch/sequence sizes, the scope. */
export interface LowerContext {
  b: IrBuilder;
  spec: ModelSpec;
  batch: number;
  seqLen: number;
  scope: Scope;
}

/** Shape of an activation with `features` in the last axis: [B, T, features]. */
export function act(ctx: LowerContext, features: number): number[] {
  return [ctx.batch, ctx.seqLen, features];
}

/** Operands of a linear-like op: the weight, then the bias when the layer has one. */
export function weightAndBias(prefix: string, hasBias: boolean): string[] {
  return hasBias ? [`${prefix}.weight`, `${prefix}.bias`] : [`${prefix}.weight`];
}

/** Official LayerNorm (scale 1 + w, no bias) over the embedding dim. */
export function layerNorm(ctx: LowerContext, what: string, x: number, weight: string): number {
  const E = ctx.spec.embeddingDim;
  return ctx.b.emit1(ctx.scope, what, 'layer_norm', { dim: E, eps: ctx.spec.layerNormEps, scale: 'one_plus_weight' }, [x, weight], {
    name: 'normed',
    shape: act(ctx, E),
  });
}

/** `nn.Linear`: x·Wᵀ (+ b), W stored [out, in]. */
export function linear(ctx: LowerContext, what: string, x: number, prefix: string, inFeatures: number, outFeatures: number, hasBias: boolean, name: string): number {
  return ctx.b.emit1(ctx.scope, what, 'linear', { inFeatures, outFeatures, bias: hasBias }, [x, ...weightAndBias(prefix, hasBias)], {
    name,
    shape: act(ctx, outFeatures),
  });
}

/** Output dropout of a layer; the official model has one wherever p may be > 0, so it is emitted only then. */
export function dropout(ctx: LowerContext, what: string, x: number, p: number): number {
  if (p <= 0) return x;
  return ctx.b.emit1(ctx.scope, what, 'dropout', { p }, [x], { name: 'dropped', shape: ctx.b.shapeOf(x) });
}

export function residual(ctx: LowerContext, what: string, x: number, y: number): number {
  return ctx.b.emit1(ctx.scope, what, 'add', {}, [x, y], { name: 'residual', shape: ctx.b.shapeOf(x) });
}

export function silu(ctx: LowerContext, what: string, x: number, name: string): number {
  return ctx.b.emit1(ctx.scope, what, 'activation', { kind: 'silu' }, [x], { name, shape: ctx.b.shapeOf(x) });
}

/** Depthwise causal conv over `channels` features followed by SiLU, as both layers use it. */
export function convSilu(ctx: LowerContext, x: number, prefix: string, channels: number, kernelSize: number): number {
  const conv = ctx.b.emit1(
    ctx.scope,
    'conv1d',
    'causal_conv1d',
    { channels, kernelSize },
    [x, `${prefix}.conv1d.conv.weight`, `${prefix}.conv1d.conv.bias`],
    { name: 'conv', shape: act(ctx, channels) },
  );
  return silu(ctx, 'conv SiLU', conv, 'conv_act');
}

/** Block-diagonal projection keeping the width (`LinearHeadwiseExpand` with expand factor 1). */
export function headwise(ctx: LowerContext, what: string, x: Ref, prefix: string, numBlocks: number, blockSize: number, hasBias: boolean, name: string): number {
  return ctx.b.emit1(ctx.scope, what, 'headwise_linear', { numBlocks, blockSize, bias: hasBias }, [x, ...weightAndBias(prefix, hasBias)], {
    name,
    shape: act(ctx, numBlocks * blockSize),
  });
}
