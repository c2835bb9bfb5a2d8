import type { ModelSpec } from '../compiler/spec.js';
import { initializeParameters } from '../runtime/init.js';
import { referenceForward } from '../runtime/reference/index.js';
import type { Shape } from './models.js';
import { randomTokens } from './random-tokens.js';
import { perSecond, timeIterations, type IterationCounts } from './timing.js';

/** Forward tokens/s of the float64 reference (plain JavaScript on the CPU), as a ratio point. */
export async function measureReferenceForward(spec: ModelSpec, shape: Shape, counts: IterationCounts): Promise<number> {
  const weights = initializeParameters(spec, 0, { dtype: 'f64' });
  const tokens = randomTokens(spec.vocabSize, shape.batch * shape.seqLen);
  const timing = await timeIterations(async () => referenceForward(spec, weights, tokens, shape.batch, shape.seqLen), counts);
  return perSecond(shape.batch * shape.seqLen, timing.medianMs);
}
