/**
 * A sequence long enough that single-dispatch kernels would cross llvmpipe's silent loop cap
 * (65,535 loop iterations per invocation, DESIGN.md §7): a tiny model with 32-wide mLSTM heads runs
 * 300 tokens in the parallel form, then 1700 more continuing the state in the recurrent form, whose
 * kernel must split time over dispatches; both against the float64 reference.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BlockSpec, ModelSpec } from '../../../compiler/spec.js';
import type { XlstmDevice } from '../../../runtime/device.js';
import { acquireNodeDevice } from '../../../runtime/device-node.js';
import { referenceForward } from '../../../runtime/reference/model.js';
import { referenceForwardRecurrent } from '../../../runtime/reference/recurrent.js';
import { createRng, randomTokens } from '../../helpers/random.js';
import { tinyModelSpec } from '../../helpers/random-model.js';
import { relativeError } from '../gpu/gpu-test-kit.js';
import { loadedModel, logitSlice, tokenSlice } from './model-kit.js';

const LLVMPIPE_LOOP_CAP = 65_535;

let dev: XlstmDevice;
beforeAll(async () => {
  dev = await acquireNodeDevice();
});
afterAll(() => dev?.destroy());

/** mLSTM with two heads of 32, then an sLSTM block; embedding 16. */
function wideHeadSpec(): ModelSpec {
  const base = tinyModelSpec({ blocks: ['m', 's'] });
  const mlstm = { ...base.mlstm!, numHeads: 2, headDim: 32, innerDim: 64, qkvProjBlocksize: 4, numQkvBlocks: 16, convKernel: 4 };
  const slstm = { ...base.slstm!, numHeads: 2, headDim: 8, ffn: { ...base.slstm!.ffn!, upDim: 24 } };
  const blocks: BlockSpec[] = base.blocks.map((b) => (b.kind === 'mlstm' ? { ...b, ...mlstm } : { ...b, ...slstm }));
  return { ...base, embeddingDim: 16, contextLength: 300, mlstm, slstm, blocks };
}

it('300 tokens in the parallel form, then 1700 continuing in the recurrent form, match the reference', async () => {
  const spec = wideHeadSpec();
  const rng = createRng();
  const [B, first, rest] = [1, 300, 1700];
  const T = first + rest;
  const { model, weights } = loadedModel(spec, dev, rng, { pieceLength: rest });
  const tokens = randomTokens(rng, B * T, spec.vocabSize);
  const V = spec.vocabSize;

  const recurrent = model.plan({ mode: 'recurrent', batch: B, seqLen: rest }).steps.filter((s) => s.kernel.name.startsWith('block0_mlstm_recurrent'));
  const naive = recurrent.reduce((n, s) => n + s.kernel.loopIterations, 0);
  expect(naive, 'one dispatch over the piece would cross the cap').toBeGreaterThan(LLVMPIPE_LOOP_CAP);
  expect(recurrent.every((s) => s.kernel.loopIterations <= model.target.maxLoopIterationsPerInvocation)).toBe(true);

  const parallel = await model.forward(tokenSlice(tokens, B, T, 0, first), B, first);
  const continued = await model.forward(tokenSlice(tokens, B, T, first, T), B, rest, parallel.state);
  const expectedFirst = referenceForward(spec, weights, tokenSlice(tokens, B, T, 0, first), B, first).logits;
  const expectedRest = logitSlice(referenceForwardRecurrent(spec, weights, tokens, B, T), B, T, V, first, T);
  expect(relativeError(parallel.logits, expectedFirst), `seed ${rng.seed}`).toBeLessThan(1e-4);
  expect(relativeError(continued.logits, expectedRest), `seed ${rng.seed}`).toBeLessThan(1e-4);
  model.dispose();
});
