import { ISSUES } from '../issues.js';
import { blame } from '../section-view.js';
import { joinHints, nearestDivisors, nearestMatching, showNearest } from '../suggest.js';
import { roundProjUpDim } from '../../spec.js';
import { formatFloat } from '../values.js';
import type { Check, LayerTarget } from './check.js';
import { checkHeadDim } from './head-dim.js';
import { projectionOf } from './projection.js';

/** How far from the written embed to look for one that would work. */
const EMBED_SEARCH_REACH = 4096;

const innerDimPositive: Check<LayerTarget> = (t, report) => {
  const p = projectionOf(t.layer, t.embed);
  if (p === undefined || p.dim > 0) return;
  report(ISSUES.emptyProjection, `the mLSTM inner dim is 0 (${p.why})`, p.span, 'raise proj_factor, or set `round_up true`');
};

const headsDivideInnerDim: Check<LayerTarget> = (t, report) => {
  const p = projectionOf(t.layer, t.embed);
  const heads = t.layer.num('heads');
  if (p === undefined || p.dim === 0 || heads === undefined || p.dim % heads.value === 0) return;
  const embeds = nearestMatching(t.embed!.value, (e) => roundProjUpDim(e, p.rounding) % heads.value === 0, EMBED_SEARCH_REACH);
  report(
    ISSUES.mlstmHeadsDivide,
    `mlstm heads ${heads.value} do not divide the inner dim I = ${p.dim} (${p.why})`,
    blame(heads, t.embed) ?? heads.span,
    joinHints(
      `nearest valid heads: ${showNearest(nearestDivisors(p.dim, heads.value))}`,
      showNearest(embeds) === undefined ? undefined : `or embed ${showNearest(embeds)}`,
    ),
  );
};

const qkvBlocksizeDividesInnerDim: Check<LayerTarget> = (t, report) => {
  const p = projectionOf(t.layer, t.embed);
  const qkv = t.layer.num('qkv_blocksize');
  if (p === undefined || p.dim === 0 || qkv === undefined || p.dim % qkv.value === 0) return;
  report(
    ISSUES.qkvBlocksizeDivide,
    `mlstm qkv_blocksize ${qkv.value} does not divide the inner dim I = ${p.dim} (${p.why})`,
    qkv.span,
    `q/k/v are block-diagonal with blocks of qkv_blocksize features; nearest valid: ${showNearest(nearestDivisors(p.dim, qkv.value))}`,
  );
};

const convKernelAtLeast2: Check<LayerTarget> = (t, report) => {
  const k = t.layer.num('conv1d');
  if (k === undefined || k.value >= 2) return;
  const why =
    k.value === 0
      ? 'the official CausalConv1d creates no conv for kernel 0 and then crashes in reset_parameters'
      : k.value === 1
        ? 'with kernel 1 the causal slice of the official CausalConv1d is empty and the model crashes'
        : 'a kernel size cannot be negative';
  report(ISSUES.mlstmConv, `mlstm conv1d ${k.value} is not allowed: ${why}`, k.span, 'use conv1d 4 (the default) or any value ≥ 2; only sLSTM layers can drop the conv (0)');
};

const headDimShape: Check<LayerTarget> = (t, report) => {
  const p = projectionOf(t.layer, t.embed);
  const heads = t.layer.num('heads');
  if (p === undefined || p.dim === 0 || heads === undefined || p.dim % heads.value !== 0) return;
  checkHeadDim('mlstm', p.dim / heads.value, `I = ${p.dim} / ${heads.value} heads`, blame(heads, t.embed) ?? heads.span, report);
};

const expandingProjection: Check<LayerTarget> = (t, report) => {
  const f = t.layer.num('proj_factor');
  if (f === undefined || !f.set || f.value >= 1) return;
  report(ISSUES.shrinkingProjection, `mlstm proj_factor ${formatFloat(f.value)} is below 1: the inner dim is narrower than embed`, f.span, 'the paper uses 2.0 for mLSTM layers');
};

export const MLSTM_CHECKS: readonly Check<LayerTarget>[] = [
  innerDimPositive,
  headsDivideInnerDim,
  qkvBlocksizeDividesInnerDim,
  convKernelAtLeast2,
  headDimShape,
  expandingProjection,
];
