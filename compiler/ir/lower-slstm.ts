import { blockPrefix } from '../params.js';
import type { Activation, BlockSpec, FfnSpec } from '../spec.js';
import { UserError } from '../../runtime/errors.js';
import type { ActivationKind } from './types.js';
import { act, convSilu, dropout, headwise, layerNorm, linear, residual, type LowerContext } from './lower-common.js';

const ACTIVATION_KIND: Record<Activation, ActivationKind> = {
  gelu: 'gelu',
  swish: 'silu',
  relu: 'relu',
  'relu^2': 'relu2',
  sigmoid: 'sigmoid',
  selu: 'selu',
};

/** Gated FFN (xlstm/components/feedforward.py): (act(u[:F]) ⊙ u[F:])·proj_downᵀ with u = x·proj_upᵀ. */
function lowerFfn(ctx: LowerContext, ffn: FfnSpec, prefix: string, x: number): number {
  const E = ctx.spec.embeddingDim;
  const F = ffn.upDim;
  const { b } = ctx;
  const up = linear(ctx, 'FFN proj_up', x, `${prefix}ffn.proj_up`, E, 2 * F, ffn.bias, 'ffn_up');
  const [gatePre, value] = b.emit(ctx.scope, 'FFN split gate | value', 'split', { sizes: [F, F] }, [up], [
    { name: 'ffn_gate_preact', shape: act(ctx, F) },
    { name: 'ffn_value', shape: act(ctx, F) },
  ]) as [number, number];
  const kind = ACTIVATION_KIND[ffn.act];
  const gate = b.emit1(ctx.scope, `FFN ${ffn.act}`, 'activation', { kind }, [gatePre], { name: 'ffn_gate', shape: act(ctx, F) });
  const gated = b.emit1(ctx.scope, 'FFN gating', 'mul', {}, [gate, value], { name: 'ffn_gated', shape: act(ctx, F) });
  const down = linear(ctx, 'FFN proj_down', gated, `${prefix}ffn.proj_down`, F, E, ffn.bias, 'ffn_out');
  return dropout(ctx, 'FFN dropout', down, ffn.dropout);
}

/**
 * sLSTM block (xlstm/blocks/slstm/layer.py, xlstm/blocks/xlstm_block.py): `x + sLSTMLayer(LN(x))`,
 * then `x + FFN(LN'(x))`. The module named fgate feeds the input gate and igate the forget gate
 * (official swap); z and o read the unconvolved input; no conv means no SiLU either.
 */
export function lowerSlstmBlock(ctx: LowerContext, blk: Extract<BlockSpec, { kind: 'slstm' }>, x: number): { layer: number; out: number } {
  if (blk.function !== 'slstm') {
    throw new UserError(`block ${blk.index}: sLSTM function '${blk.function}' cannot be compiled yet (only 'slstm')`);
  }
  const p = blockPrefix(blk.index);
  const layerPrefix = `${p}xlstm`;
  const E = ctx.spec.embeddingDim;
  const NH = blk.numHeads;
  const DH = blk.headDim;
  const { b } = ctx;

  const xn = layerNorm(ctx, 'xlstm_norm', x, `${p}xlstm_norm.weight`);
  const c = blk.convKernel > 0 ? convSilu(ctx, xn, layerPrefix, E, blk.convKernel) : xn;
  const i = headwise(ctx, 'fgate module -> input gate (official swap)', c, `${layerPrefix}.fgate`, NH, DH, false, 'i_preact');
  const f = headwise(ctx, 'igate module -> forget gate (official swap)', c, `${layerPrefix}.igate`, NH, DH, false, 'f_preact');
  const z = headwise(ctx, 'zgate (unconvolved input)', xn, `${layerPrefix}.zgate`, NH, DH, false, 'z_preact');
  const o = headwise(ctx, 'ogate (unconvolved input)', xn, `${layerPrefix}.ogate`, NH, DH, false, 'o_preact');
  const cellPrefix = `${layerPrefix}.slstm_cell`;
  const y = b.emit1(
    ctx.scope,
    'slstm_cell',
    'slstm_cell',
    { numHeads: NH, headDim: DH, gateOrder: ['i', 'f', 'z', 'o'], layout: 'vanilla' },
    [i, f, z, o, `${cellPrefix}._recurrent_kernel_`, `${cellPrefix}._bias_`],
    { name: 'y', shape: act(ctx, E) },
  );
  const yd = dropout(ctx, 'dropout', y, blk.dropout);
  const normWeight = `${layerPrefix}.group_norm.weight`;
  const layer = b.emit1(
    ctx.scope,
    'group_norm',
    'multihead_layer_norm',
    { numHeads: NH, headDim: DH, eps: ctx.spec.layerNormEps, scale: blk.groupNormWeight ? 'one_plus_weight' : 'none' },
    blk.groupNormWeight ? [yd, normWeight] : [yd],
    { name: 'slstm_out', shape: act(ctx, E) },
  );
  const afterLayer = residual(ctx, 'residual', x, layer);
  if (blk.ffn === null) return { layer, out: afterLayer };
  const fn = layerNorm(ctx, 'ffn_norm', afterLayer, `${p}ffn_norm.weight`);
  const ffnOut = lowerFfn(ctx, blk.ffn, p, fn);
  return { layer, out: residual(ctx, 'FFN residual', afterLayer, ffnOut) };
}
