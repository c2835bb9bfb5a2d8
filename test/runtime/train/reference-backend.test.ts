import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parameterSpecs } from '../../../compiler/params.js';
import { initializeParameters } from '../../../runtime/init.js';
import { referenceForward, referenceLoss } from '../../../runtime/reference/index.js';
import { ReferenceTrainBackend } from '../../../runtime/train/reference-backend.js';
import { loadGoldenCase } from '../../helpers/golden.js';
import { createRng, randomTokens } from '../../helpers/random.js';
import { tinySpec } from './tiny-model.js';

const GOLDEN_CONFIG = join(import.meta.dirname, '..', '..', 'fixtures', 'golden', 'case_mixed_1_1', 'config.json');

describe('ReferenceTrainBackend', () => {
  it('takes the first AdamW step of the official model from the golden gradients, official decay group, clipping and tied weights', async () => {
    const rng = createRng();
    const g = await loadGoldenCase('mixed_1_1');
    const golden = JSON.parse(readFileSync(GOLDEN_CONFIG, 'utf8')).golden as { weight_decay_param_names: string[] };
    const decays = new Set(golden.weight_decay_param_names);
    let sumSq = 0;
    for (const grad of g.grads.values()) for (const x of grad) sumSq += x * x;
    const norm = Math.sqrt(sumSq);
    const clip = rng.uniform() < 0.5 ? null : norm * (0.2 + 0.6 * rng.uniform());
    const hyper = { lr: 1e-3 * (1 + 9 * rng.uniform()), weightDecay: 0.1 + rng.uniform(), betas: [0.9, 0.95] as const, eps: 1e-8, clip, step: 1 };
    const backend = new ReferenceTrainBackend(g.spec, g.weights);
    const result = await backend.step([{ inputs: g.inputs, targets: g.targets, batch: g.batch, time: g.time }], hyper);
    expect(result.nonFinite, `seed ${rng.seed}`).toBeUndefined();
    expect(result.loss).toBeCloseTo(g.loss, 12);
    expect(Math.abs(result.gradNorm - norm) / norm).toBeLessThan(1e-10);
    const scale = clip === null ? 1 : clip / (norm + 1e-6);
    const after = await backend.getWeights();
    // a tied lm_head is not a parameter of its own: the embedding takes the summed gradient once
    expect([...after.keys()]).toEqual([...g.grads.keys()]);
    for (const [name, grad] of g.grads) {
      // from zero moments the first step is p·(1 − lr·wd·[decays]) − lr·ĝ / (|ĝ| + eps), ĝ the clipped gradient
      const p0 = g.weights.get(name)!;
      const keep = decays.has(name) ? 1 - hyper.lr * hyper.weightDecay : 1;
      const p1 = after.get(name)!;
      for (let i = 0; i < p0.length; i++) {
        const gh = grad[i]! * scale;
        const expected = p0[i]! * keep - (hyper.lr * gh) / (Math.abs(gh) + hyper.eps);
        expect(Math.abs(p1[i]! - expected), `${name}[${i}] seed ${rng.seed}`).toBeLessThan(1e-9 * hyper.lr + 1e-14);
      }
    }
  });

  it('accumulates micro-batches as one batch holding them all', async () => {
    const rng = createRng();
    const spec = tinySpec();
    const weights = initializeParameters(spec, rng.int(1000), { dtype: 'f64' });
    const T = 5;
    const rows = [0, 1, 2].map(() => ({ inputs: randomTokens(rng, T, 16), targets: randomTokens(rng, T, 16) }));
    const hyper = { lr: 0.01, weightDecay: 0.1, betas: [0.9, 0.95] as const, eps: 1e-8, clip: 0.5, step: 1 };
    const micro = new ReferenceTrainBackend(spec, weights);
    const microResult = await micro.step(rows.map((r) => ({ ...r, batch: 1, time: T })), hyper);
    const whole = new ReferenceTrainBackend(spec, weights);
    const concat = (key: 'inputs' | 'targets') => Int32Array.from(rows.flatMap((r) => [...r[key]]));
    const wholeResult = await whole.step([{ inputs: concat('inputs'), targets: concat('targets'), batch: 3, time: T }], hyper);
    expect(microResult.loss).toBeCloseTo(wholeResult.loss, 12);
    expect(microResult.gradNorm).toBeCloseTo(wholeResult.gradNorm, 12);
    const a = await micro.getWeights();
    const b = await whole.getWeights();
    // |update| ≤ lr; where |ĝ| is near eps the update amplifies the summation-order rounding of ĝ
    for (const [name, w] of a) for (let i = 0; i < w.length; i++) expect(Math.abs(w[i]! - b.get(name)![i]!), `${name} seed ${rng.seed}`).toBeLessThan(1e-9);
  });

  it('names the first non-finite activation and leaves parameters and moments untouched', async () => {
    const spec = tinySpec();
    const weights = initializeParameters(spec, 3, { dtype: 'f64' });
    weights.get('xlstm_block_stack.blocks.1.xlstm_norm.weight')![2] = NaN;
    const backend = new ReferenceTrainBackend(spec, weights);
    const batch = { inputs: Int32Array.of(1, 2, 3, 4), targets: Int32Array.of(2, 3, 4, 5), batch: 1, time: 4 };
    const result = await backend.step([batch], { lr: 0.01, weightDecay: 0.1, betas: [0.9, 0.95], eps: 1e-8, clip: 1, step: 1 });
    expect(result.nonFinite).toEqual({ stage: 'forward', tensor: 'blocks.1.xlstm', value: NaN });
    const moments = await backend.getOptimizerState();
    expect([...moments.expAvg.values()].every((m) => m.every((x) => x === 0))).toBe(true);
  });

  it('refuses an update that would overflow, keeping the previous state', async () => {
    const spec = tinySpec();
    const weights = initializeParameters(spec, 4, { dtype: 'f64' });
    const backend = new ReferenceTrainBackend(spec, weights);
    const batch = { inputs: Int32Array.of(1, 2, 3, 4), targets: Int32Array.of(2, 3, 4, 5), batch: 1, time: 4 };
    const result = await backend.step([batch], { lr: 1e300, weightDecay: 1e10, betas: [0.9, 0.95], eps: 1e-8, clip: null, step: 1 });
    const first = parameterSpecs(spec).find((p) => p.decay)!.name;
    expect(result.nonFinite?.stage).toBe('update');
    expect(result.nonFinite?.tensor).toBe(first);
    const after = await backend.getWeights();
    for (const [name, w] of after) expect([...w]).toEqual([...weights.get(name)!]);
  });

  it('evaluates the mean cross-entropy without changing anything', async () => {
    const rng = createRng();
    const spec = tinySpec();
    const weights = initializeParameters(spec, rng.int(1000), { dtype: 'f64' });
    const batch = { inputs: randomTokens(rng, 12, 16), targets: randomTokens(rng, 12, 16), batch: 2, time: 6 };
    const backend = new ReferenceTrainBackend(spec, weights);
    const logits = referenceForward(spec, weights, batch.inputs, 2, 6).logits;
    expect(await backend.evalLoss(batch)).toBe(referenceLoss(logits, batch.targets, 2, 6, 16));
  });
});
