import { ISSUES } from '../issues.js';
import { blame } from '../section-view.js';
import { joinHints, nearestDivisors, nearestMatching, showNearest } from '../suggest.js';
import { formatFloat } from '../values.js';
import type { Check, LayerTarget } from './check.js';
import { checkHeadDim } from './head-dim.js';
import { projectionOf } from './projection.js';

const headsDivideEmbed: Check<LayerTarget> = (t, report) => {
  const heads = t.layer.num('heads');
  const embed = t.embed;
  if (heads === undefined || embed === undefined || embed.value % heads.value === 0) return;
  const embeds = showNearest(nearestMatching(embed.value, (e) => e % heads.value === 0, heads.value));
  report(
    ISSUES.slstmHeadsDivide,
    `embed ${embed.value} is not divisible by slstm heads ${heads.value}`,
    blame(heads, embed) ?? embed.span,
    joinHints(embeds === undefined ? undefined : `nearest valid: embed ${embeds}`, `or heads ${showNearest(nearestDivisors(embed.value, heads.value))}`),
  );
};

const convKernelZeroOrAtLeast2: Check<LayerTarget> = (t, report) => {
  const k = t.layer.num('conv1d');
  if (k === undefined || k.value === 0 || k.value >= 2) return;
  const why = k.value === 1 ? 'with kernel 1 the causal slice of the official CausalConv1d is empty and the model crashes' : 'a kernel size cannot be negative';
  report(ISSUES.slstmConv, `slstm conv1d ${k.value} is not allowed: ${why}`, k.span, 'use 0 for no conv, or a kernel ≥ 2 (default 4)');
};

const powerlawNeedsHeadDim2: Check<LayerTarget> = (t, report) => {
  const heads = t.layer.num('heads');
  const init = t.layer.str('bias_init');
  if (heads === undefined || t.embed === undefined || init?.value !== 'powerlaw_blockdependent') return;
  if (t.embed.value / heads.value !== 1) return;
  report(
    ISSUES.powerlawHeadDim,
    `bias_init powerlaw_blockdependent with slstm head dim 1 (embed ${t.embed.value} / ${heads.value} heads) gives NaN forget-gate biases`,
    blame(init, heads) ?? heads.span,
    'the official init divides by head dim − 1 = 0; use fewer heads, or bias_init small_init',
  );
};

const headDimShape: Check<LayerTarget> = (t, report) => {
  const heads = t.layer.num('heads');
  if (heads === undefined || t.embed === undefined || t.embed.value % heads.value !== 0) return;
  checkHeadDim('slstm', t.embed.value / heads.value, `embed ${t.embed.value} / ${heads.value} heads`, blame(heads, t.embed) ?? heads.span, report);
};

export const SLSTM_CHECKS: readonly Check<LayerTarget>[] = [headsDivideEmbed, convKernelZeroOrAtLeast2, powerlawNeedsHeadDim2, headDimShape];

const ffnDimPositive: Check<LayerTarget> = (t, report) => {
  if (t.ffn === null) return;
  const p = projectionOf(t.ffn, t.embed);
  if (p === undefined || p.dim > 0) return;
  report(ISSUES.emptyProjection, `the FFN up-projection dim is 0 (${p.why})`, p.span, 'raise proj_factor, set `round_up true`, or write `ffn null` for no feed-forward');
};

const ffnExpands: Check<LayerTarget> = (t, report) => {
  const f = t.ffn?.num('proj_factor');
  if (f === undefined || !f.set || f.value >= 1) return;
  report(ISSUES.shrinkingProjection, `ffn proj_factor ${formatFloat(f.value)} is below 1: the feed-forward is narrower than embed`, f.span, 'the paper uses 1.3 for the sLSTM feed-forward');
};

export const FFN_CHECKS: readonly Check<LayerTarget>[] = [ffnDimPositive, ffnExpands];
