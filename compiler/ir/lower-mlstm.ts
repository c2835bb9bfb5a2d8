import { blockPrefix } from '../params.js';
import type { BlockSpec } from '../spec.js';
import type { MlstmForm } from './types.js';
import { act, convSilu, dropout, headwise, layerNorm, linear, residual, silu, type LowerContext } from './lower-common.js';

export interface MlstmCellOptions {
  form: MlstmForm;
  /** Used by the chunkwise form only. */
  chunkSize: number;
}

/**
 * Pre-norm residual mLSTM block, `x + mLSTMLayer(LN(x))` (xlstm/blocks/mlstm/layer.py): v reads the
 * pre-conv x_m, q/k the convolved one; the gates see concat(q, k, v); the output is
 * ((outnorm(h) + skip ⊙ c) ⊙ SiLU(z))·proj_downᵀ. Returns the layer output (before the residual) and
 * the block output.
 */
export function lowerMlstmBlock(
  ctx: LowerContext,
  blk: Extract<BlockSpec, { kind: 'mlstm' }>,
  x: number,
  cell: MlstmCellOptions,
): { layer: number; out: number } {
  const p = blockPrefix(blk.index);
  const layerPrefix = `${p}xlstm`;
  const E = ctx.spec.embeddingDim;
  const I = blk.innerDim;
  const NH = blk.numHeads;
  const P = blk.numQkvBlocks;
  const bs = I / P;
  const { b } = ctx;

  const xn = layerNorm(ctx, 'xlstm_norm', x, `${p}xlstm_norm.weight`);
  const up = linear(ctx, 'proj_up', xn, `${layerPrefix}.proj_up`, E, 2 * I, blk.bias, 'x_inner');
  const [xm, z] = b.emit(ctx.scope, 'split x_m | z', 'split', { sizes: [I, I] }, [up], [
    { name: 'x_m', shape: act(ctx, I) },
    { name: 'z', shape: act(ctx, I) },
  ]) as [number, number];
  // the official layer skips conv and SiLU when the kernel size is 0
  const c = blk.convKernel > 0 ? convSilu(ctx, xm, layerPrefix, I, blk.convKernel) : xm;
  const q = headwise(ctx, 'q_proj', c, `${layerPrefix}.q_proj`, P, bs, blk.bias, 'q');
  const k = headwise(ctx, 'k_proj', c, `${layerPrefix}.k_proj`, P, bs, blk.bias, 'k');
  const v = headwise(ctx, 'v_proj (reads pre-conv x_m)', xm, `${layerPrefix}.v_proj`, P, bs, blk.bias, 'v');

  const cellPrefix = `${layerPrefix}.mlstm_cell`;
  const qkv = b.emit1(ctx.scope, 'gate input concat(q, k, v)', 'concat', { sizes: [I, I, I] }, [q, k, v], {
    name: 'qkv',
    shape: act(ctx, 3 * I),
  });
  const [ig, fg] = b.emit(
    ctx.scope,
    'mlstm_cell igate/fgate',
    'mlstm_gates',
    { inFeatures: 3 * I, numHeads: NH },
    [qkv, `${cellPrefix}.igate.weight`, `${cellPrefix}.igate.bias`, `${cellPrefix}.fgate.weight`, `${cellPrefix}.fgate.bias`],
    [
      { name: 'igate_preact', shape: act(ctx, NH) },
      { name: 'fgate_preact', shape: act(ctx, NH) },
    ],
  ) as [number, number];
  const cellAttrs =
    cell.form === 'chunkwise'
      ? { form: cell.form, numHeads: NH, headDim: blk.headDim, eps: ctx.spec.mlstmCellEps, chunkSize: cell.chunkSize }
      : { form: cell.form, numHeads: NH, headDim: blk.headDim, eps: ctx.spec.mlstmCellEps };
  const h = b.emit1(ctx.scope, `mlstm_cell (${cell.form})`, 'mlstm_cell', cellAttrs, [q, k, v, ig, fg], { name: 'h', shape: act(ctx, I) });
  const hn = b.emit1(
    ctx.scope,
    'mlstm_cell outnorm',
    'multihead_layer_norm',
    { numHeads: NH, headDim: blk.headDim, eps: ctx.spec.layerNormEps, scale: 'one_plus_weight' },
    [h, `${cellPrefix}.outnorm.weight`],
    { name: 'h_norm', shape: act(ctx, I) },
  );

  const skip = b.emit1(ctx.scope, 'learnable_skip * conv branch', 'mul', {}, [c, `${layerPrefix}.learnable_skip`], { name: 'skip', shape: act(ctx, I) });
  const hs = b.emit1(ctx.scope, 'h + skip', 'add', {}, [hn, skip], { name: 'h_skip', shape: act(ctx, I) });
  const gate = silu(ctx, 'output gate SiLU(z)', z, 'z_act');
  const hg = b.emit1(ctx.scope, 'output gating', 'mul', {}, [hs, gate], { name: 'h_state', shape: act(ctx, I) });
  const down = linear(ctx, 'proj_down', hg, `${layerPrefix}.proj_down`, I, E, blk.bias, 'y');
  const layer = dropout(ctx, 'dropout', down, blk.dropout);
  return { layer, out: residual(ctx, 'residual', x, layer) };
}
