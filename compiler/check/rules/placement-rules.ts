import type { Ratio } from '../coerce.js';
import { ISSUES } from '../issues.js';
import { nearestRatioPlacement, ratioFits, ratioPlacement, showPositions } from '../placement.js';
import { joinHints } from '../suggest.js';
import type { Check, ModelTarget } from './check.js';

const ratioFitsBlocks: Check<ModelTarget> = ({ views }, report) => {
  const ratio = views.model.get('ratio');
  const blocks = views.model.num('blocks');
  if (ratio === undefined || !ratio.set) return;
  const r = ratio.value as Ratio;
  const [mSpan, sSpan] = views.model.itemSpans('ratio') ?? [ratio.span, ratio.span];
  if (r.mlstm < 0 || r.slstm < 0) {
    report(ISSUES.ratioBlocks, `ratio sides must be ≥ 0, got ${r.mlstm}:${r.slstm}`, r.mlstm < 0 ? mSpan! : sSpan!, 'a:b counts a mLSTM blocks for every b sLSTM blocks');
    return;
  }
  if (r.mlstm + r.slstm === 0) {
    report(ISSUES.ratioBlocks, 'ratio 0:0 describes no blocks', ratio.span, 'use e.g. 7:1, 1:0 (all mLSTM) or 0:1 (all sLSTM)');
    return;
  }
  if (blocks === undefined || ratioFits(blocks.value, r)) return;
  const g = r.mlstm + r.slstm;
  const counts = [Math.floor(blocks.value / g) * g, Math.ceil(blocks.value / g) * g].filter((n) => n >= g);
  const options = counts.map((n) => `blocks ${n} (sLSTM at ${showPositions(ratioPlacement(n, r)!)})`).join(' or ');
  report(
    ISSUES.ratioBlocks,
    `ratio ${r.mlstm}:${r.slstm} needs a multiple of ${g} blocks, but blocks is ${blocks.value}`,
    ratio.span,
    joinHints(`use ${options}`, `or keep ${blocks.value} blocks with slstm_at ${showPositions(nearestRatioPlacement(blocks.value, r))}`),
  );
};

const slstmAtValid: Check<ModelTarget> = ({ views }, report) => {
  const at = views.model.get('slstm_at');
  const blocks = views.model.num('blocks');
  const spans = views.model.itemSpans('slstm_at');
  if (at === undefined || !at.set || at.value === 'all' || spans === undefined) return;
  const positions = at.value as readonly number[];
  const seen = new Map<number, number>();
  let unsortedAt: number | undefined;
  positions.forEach((p, i) => {
    if (blocks !== undefined && (p < 0 || p >= blocks.value)) {
      report(ISSUES.slstmAtRange, `slstm_at position ${p} is not a block: blocks are numbered 0..${blocks.value - 1}`, spans[i]!, `there are ${blocks.value} blocks, numbered from 0`);
    }
    const first = seen.get(p);
    if (first !== undefined) report(ISSUES.slstmAtDuplicate, `slstm_at lists block ${p} twice`, spans[i]!, `already listed at position ${first + 1} of the list; remove one`);
    else seen.set(p, i);
    if (unsortedAt === undefined && i > 0 && p < positions[i - 1]!) unsortedAt = i;
  });
  if (unsortedAt !== undefined) {
    const sorted = [...new Set(positions)].sort((a, b) => a - b);
    report(ISSUES.slstmAtUnsorted, 'slstm_at is not in increasing order', spans[unsortedAt]!, `blocks are placed by position anyway; write ${showPositions(sorted)}`);
  }
};

export const PLACEMENT_CHECKS: readonly Check<ModelTarget>[] = [ratioFitsBlocks, slstmAtValid];
