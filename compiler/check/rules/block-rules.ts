import { ISSUES } from '../issues.js';
import { showPositions } from '../placement.js';
import type { Check, ModelTarget } from './check.js';

const overridesNameRealBlocks: Check<ModelTarget> = ({ views, positions }, report) => {
  const blocks = views.model.num('blocks')?.value;
  if (blocks === undefined) return;
  for (const [index, o] of views.node.blocks) {
    if (index >= blocks) {
      report(ISSUES.blockIndex, `block ${index} does not exist: blocks are numbered 0..${blocks - 1}`, o.indexSpan, `there are ${blocks} blocks`);
      continue;
    }
    if (positions === undefined) continue;
    const kind = positions.includes(index) ? 'slstm' : 'mlstm';
    const other = kind === 'slstm' ? 'mlstm' : 'slstm';
    const wrong = o.node.sections.get(other);
    if (wrong === undefined || wrong.kind === 'null') continue;
    report(
      ISSUES.blockKind,
      `block ${index} is an ${kind === 'slstm' ? 'sLSTM' : 'mLSTM'} block: its \`${other} { }\` override has no effect`,
      wrong.nameSpan,
      positions.length === 0 ? 'this model has no sLSTM blocks' : `the sLSTM blocks are ${showPositions(positions)}`,
    );
  }
};

export const BLOCK_CHECKS: readonly Check<ModelTarget>[] = [overridesNameRealBlocks];
