import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parameterSpecs } from '../../compiler/params.js';
import type { ModelSpec } from '../../compiler/spec.js';
import type { XlstmDevice } from '../../runtime/device.js';
import { acquireNodeDevice } from '../../runtime/device-node.js';
import { UserError } from '../../runtime/errors.js';
import { parseSafetensors, tensorToFloat64 } from '../../runtime/io/safetensors.js';
import { nodeHost } from '../../runtime/model-host-node.js';
import { referenceForward } from '../../runtime/reference/index.js';
import { ConfiguredModel } from '../../runtime/xlstm-model.js';
import { createRng, randomTokens } from '../helpers/random.js';
import { randomWeights, tinyModelSpec } from '../helpers/random-model.js';
import { relativeError } from './gpu/gpu-test-kit.js';
import { collect } from '../helpers/collect.js';

/**
 * The model class generated modules extend, on a tiny model with random weights (every weight
 * matters): loading from a map, bytes and a file; state carried across calls; checkpoints that
 * round-trip; clear errors for wrong weights, inputs and use after dispose.
 */
const rng = createRng();
let dev: XlstmDevice;
let dir: string;
let spec: ModelSpec;
let weights64: Map<string, Float64Array>;
let model: ConfiguredModel;

beforeAll(async () => {
  dev = await acquireNodeDevice();
  dir = mkdtempSync(join(tmpdir(), 'xlstm-model-'));
  spec = tinyModelSpec({ blocks: ['m', 's'] });
  // float32 values, the same for the device and the float64 reference
  weights64 = new Map([...randomWeights(spec, rng)].map(([k, v]) => [k, Float64Array.from(Float32Array.from(v))]));
  model = await ConfiguredModel.load(spec, nodeHost, weights64, { device: dev });
});

afterAll(() => {
  model?.dispose();
  dev?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('XlstmModel', () => {
  it('runs a batch of sequences like the float64 reference, and continues a state as if fed whole', async () => {
    const V = spec.vocabSize;
    const tokens = randomTokens(rng, 2 * 6, V);
    const rows = [Array.from(tokens.subarray(0, 6)), Array.from(tokens.subarray(6))];
    const expected = referenceForward(spec, weights64, tokens, 2, 6).logits;
    const whole = await model.forward(rows);
    expect(whole.logits.shape).toEqual([2, 6, V]);
    expect(relativeError(whole.logits.data, expected), `seed ${rng.seed}`).toBeLessThan(1e-4);
    expect(relativeError(whole.logits.at(1, 5), expected.subarray((6 + 5) * V, (6 + 6) * V)), `seed ${rng.seed}`).toBeLessThan(1e-4);

    const first = await model.forward(rows.map((r) => r.slice(0, 4)));
    const second = await model.forward(rows.map((r) => r.slice(4)), first.state);
    expect(second.state).toBe(first.state);
    const tail = Float64Array.from([0, 1].flatMap((b) => Array.from(expected.subarray((b * 6 + 4) * V, (b * 6 + 6) * V))));
    expect(relativeError(second.logits.data, tail), `seed ${rng.seed}`).toBeLessThan(1e-4);
  });

  it('saves a checkpoint with the official names that loads back, from a file or from bytes, to the same model', async () => {
    const path = join(dir, 'ckpt.safetensors');
    await model.save(path);
    const bytes = model.toSafetensors();
    const contents = parseSafetensors(bytes, 'bytes');
    expect([...contents.tensors.keys()]).toEqual(parameterSpecs(spec).map((p) => p.name));
    for (const [name, t] of contents.tensors) {
      expect(t.dtype).toBe('F32');
      expect(tensorToFloat64(t)).toEqual(weights64.get(name));
    }
    const tokens = [[1, 2, 3]];
    const original = (await model.forward(tokens)).logits.data;
    for (const source of [path, bytes]) {
      const loaded = await ConfiguredModel.load(spec, nodeHost, source, { device: dev });
      try {
        expect((await loaded.forward(tokens)).logits.data).toEqual(original);
      } finally {
        loaded.dispose();
      }
    }
  });

  it('refuses weights that do not fit, with every problem in one line', async () => {
    const broken = new Map(weights64);
    broken.delete('token_embedding.weight');
    broken.set('lm_head.weight', new Float64Array(3));
    broken.set('xlstm_block_stack.blocks.0.xlstm.typo', new Float64Array(1));
    const error = await ConfiguredModel.load(spec, nodeHost, broken, { device: dev }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(
      /^weights: missing token_embedding\.weight \[\d+,\d+\]; lm_head\.weight has 3 values, its shape \[\d+,\d+\] needs \d+; not a parameter of Tiny: xlstm_block_stack\.blocks\.0\.xlstm\.typo$/,
    );
  });

  it('refuses bad token input and use after dispose', async () => {
    await expect(model.forward([[1, 2], [3]])).rejects.toThrow('tokens: sequence 1 has 1 tokens, sequence 0 has 2; a batch needs equal lengths');
    await expect(model.forward([1, spec.vocabSize])).rejects.toThrow(`tokens: token id ${spec.vocabSize} at 1 is not a vocabulary id`);
    await expect(model.forward([1.5])).rejects.toThrow('tokens: token id 1.5 at 0 is not a vocabulary id');
    await expect(model.forward([])).rejects.toThrow('tokens: no tokens given');
    await expect(collect(model.generate([[1], [2]], { maxTokens: 1 }))).rejects.toThrow('prompt: generate takes one sequence, got 2');
    await expect(collect(model.generate([1], { maxTokens: 1, topP: 1.5 }))).rejects.toThrow('topP must lie in (0, 1], got 1.5');
    const spare = await ConfiguredModel.create(spec, nodeHost, { seed: 1, device: dev });
    spare.dispose();
    await expect(spare.forward([1])).rejects.toThrow(UserError);
    await expect(spare.save(join(dir, 'never.safetensors'))).rejects.toThrow('this Tiny model was disposed');
    // the device was given, so it outlives the model
    expect((await model.forward([1])).logits.shape).toEqual([1, 1, spec.vocabSize]);
  });
});
