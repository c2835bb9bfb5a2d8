import { ISSUES } from '../issues.js';
import { SCHEMA } from '../schema.js';
import type { Check, ModelTarget } from './check.js';

const OFFICIAL_LAYER_NORM_EPS = 1e-5;

const requiredKeys: Check<ModelTarget> = ({ views }, report) => {
  // after a syntax error the key may well be written in the part that was lost
  if (views.node.incomplete) return;
  for (const [key, schema] of Object.entries(SCHEMA.model.keys)) {
    if (schema.required && !views.node.settings.has(key)) {
      report(ISSUES.missingRequired, `model does not set \`${key}\``, views.node.nameSpan, `add \`${key} <int>\`: ${schema.doc}`);
    }
  }
};

const contextLongEnough: Check<ModelTarget> = ({ views }, report) => {
  const context = views.model.num('context');
  if (context === undefined || context.value >= 2) return;
  report(ISSUES.shortContext, `context ${context.value} leaves nothing to learn in parallel`, context.span, 'context is the training sequence length; a language model needs at least 2 tokens');
};

const officialNormEps: Check<ModelTarget> = ({ views }, report) => {
  const eps = views.model.num('norm_eps');
  if (eps === undefined || eps.value === OFFICIAL_LAYER_NORM_EPS) return;
  report(
    ISSUES.normEps,
    `norm_eps ${eps.value} differs from the official LayerNorm eps 1e-5`,
    eps.span,
    'the official model fixes eps at 1e-5; weights trained with another value will not reproduce the official outputs',
  );
};

export const MODEL_CHECKS: readonly Check<ModelTarget>[] = [requiredKeys, contextLongEnough, officialNormEps];
