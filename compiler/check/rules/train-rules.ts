import { ISSUES } from '../issues.js';
import { blame } from '../section-view.js';
import type { Check, ModelTarget } from './check.js';

const warmupShorterThanSteps: Check<ModelTarget> = ({ views }, report) => {
  const warmup = views.train.num('warmup');
  const steps = views.train.num('steps');
  if (warmup === undefined || steps === undefined || warmup.value < steps.value || (!warmup.set && !steps.set)) return;
  report(
    ISSUES.warmupExceedsSteps,
    `warmup ${warmup.value} is not shorter than steps ${steps.value}: the learning rate never reaches its peak`,
    blame(warmup, steps) ?? warmup.span,
    `use a warmup below ${steps.value} (e.g. ${Math.max(0, Math.floor(steps.value / 10))})`,
  );
};

const seqLenWithinContext: Check<ModelTarget> = ({ views, positions }, report) => {
  const seqLen = views.train.num('seq_len');
  const context = views.model.num('context');
  const blocks = views.model.num('blocks');
  if (seqLen === undefined || context === undefined || blocks === undefined || positions === undefined) return;
  const hasMlstm = positions.length < blocks.value;
  if (!hasMlstm || seqLen.value <= context.value) return;
  report(
    ISSUES.seqLenExceedsContext,
    `train seq_len ${seqLen.value} is longer than context ${context.value}`,
    seqLen.span,
    'the parallel mLSTM is sized by context (its causal mask); raise context or shorten seq_len',
  );
};

export const TRAIN_CHECKS: readonly Check<ModelTarget>[] = [warmupShorterThanSteps, seqLenWithinContext];
