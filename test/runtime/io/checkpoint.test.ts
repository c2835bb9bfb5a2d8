import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parameterSpecs } from '../../../compiler/params.js';
import type { ModelSpec } from '../../../compiler/spec.js';
import { UserError } from '../../../runtime/errors.js';
import { loadWeights, loadWeightsF32, toCheckpointTensors } from '../../../runtime/io/checkpoint.js';
import { readWeightsFile } from '../../../runtime/io/checkpoint-node.js';
import { float32Tensor, float64Tensor, serializeSafetensors, type SafetensorsContents, type Tensor } from '../../../runtime/io/safetensors.js';
import { vanillaBiasToCuda, vanillaKernelToCuda } from '../../../runtime/io/slstm-cuda-layout.js';
import { createRng } from '../../helpers/random.js';
import { randomWeights, tinyModelSpec } from '../../helpers/random-model.js';

const rng = createRng();
const SEED = `seed ${rng.seed}`;
const LABEL = 'w.safetensors';

/** The official state dict of `spec` for `weights` (which holds every name, tied head included), as parsed contents. */
function stateDict(spec: ModelSpec, weights: Map<string, Float64Array>): Map<string, Tensor> {
  return new Map(parameterSpecs(spec).map((p) => [p.name, float64Tensor(p.shape, weights.get(p.name)!)]));
}

function contents(tensors: Map<string, Tensor>): SafetensorsContents {
  return { tensors, metadata: {} };
}

function loadError(spec: ModelSpec, tensors: Map<string, Tensor>): string {
  try {
    loadWeights(spec, contents(tensors), LABEL);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected loadWeights to fail');
}

function withCudaBackend(spec: ModelSpec): ModelSpec {
  return {
    ...spec,
    slstm: spec.slstm === null ? null : { ...spec.slstm, backend: 'cuda' },
    blocks: spec.blocks.map((b) => (b.kind === 'slstm' ? { ...b, backend: 'cuda' } : b)),
  };
}

const SLSTM_KERNEL = 'xlstm_block_stack.blocks.1.xlstm.slstm_cell._recurrent_kernel_';
const SLSTM_BIAS = 'xlstm_block_stack.blocks.1.xlstm.slstm_cell._bias_';

describe('loadWeights', () => {
  it('returns every parameter as float64 under its official name, in state_dict order', () => {
    const spec = tinyModelSpec();
    const weights = randomWeights(spec, rng);
    const loaded = loadWeights(spec, contents(stateDict(spec, weights)), LABEL);
    expect([...loaded.keys()]).toEqual(parameterSpecs(spec).map((p) => p.name));
    for (const [name, values] of loaded) expect(values, `${name}, ${SEED}`).toEqual(weights.get(name));
  });

  it('reads F32 files exactly and rounds to float32 for the GPU variant', () => {
    const spec = tinyModelSpec();
    const weights = randomWeights(spec, rng);
    const f32 = new Map(parameterSpecs(spec).map((p) => [p.name, float32Tensor(p.shape, weights.get(p.name)!)]));
    const loaded = loadWeights(spec, contents(f32), LABEL);
    const rounded = loadWeightsF32(spec, contents(stateDict(spec, weights)), LABEL);
    for (const p of parameterSpecs(spec)) {
      const expected = Float64Array.from(weights.get(p.name)!, Math.fround);
      expect(loaded.get(p.name), `${p.name}, ${SEED}`).toEqual(expected);
      expect(rounded.get(p.name), `${p.name}, ${SEED}`).toEqual(Float32Array.from(expected));
    }
  });

  it('lists every missing, unexpected and mis-shaped tensor in one line', () => {
    const spec = tinyModelSpec();
    const tensors = stateDict(spec, randomWeights(spec, rng));
    tensors.delete('xlstm_block_stack.blocks.0.xlstm_norm.weight');
    tensors.delete('xlstm_block_stack.post_blocks_norm.weight');
    tensors.set('extra.weight', float64Tensor([2]));
    tensors.set('lm_head.weight', float64Tensor([8, 6]));
    expect(loadError(spec, tensors)).toBe(
      'w.safetensors does not fit model Tiny: 2 missing (xlstm_block_stack.blocks.0.xlstm_norm.weight [6], ' +
        'xlstm_block_stack.post_blocks_norm.weight [6]), 1 unexpected (extra.weight), ' +
        '1 mis-shaped (lm_head.weight: file [8,6], model [7,6])',
    );
  });

  it('shortens long lists and refuses integer tensors', () => {
    const spec = tinyModelSpec();
    const tensors = new Map<string, Tensor>([['token_embedding.weight', { dtype: 'I32', shape: [7, 6], data: new Int32Array(42) }]]);
    const message = loadError(spec, tensors);
    const missing = parameterSpecs(spec).length - 1;
    expect(message).toMatch(new RegExp(`^w\\.safetensors does not fit model Tiny: ${missing} missing \\([^()]*(\\[[\\d,]*\\][^()]*)*, … ${missing - 3} more\\)`));
    expect(message).toContain(', 1 not floating-point (token_embedding.weight: I32)');
  });

  it('says what model a file for another vocabulary or block layout looks like', () => {
    const spec = tinyModelSpec();
    const otherVocab = tinyModelSpec({ vocab: 9 });
    expect(loadError(spec, stateDict(otherVocab, randomWeights(otherVocab, rng)))).toBe(
      'w.safetensors does not fit model Tiny: 2 mis-shaped (token_embedding.weight: file [9,6], model [7,6], ' +
        'lm_head.weight: file [9,6], model [7,6]); the file looks like a model with vocab 9 where Tiny has vocab 7',
    );
    const mOnly = tinyModelSpec({ blocks: ['m', 'm'] });
    expect(loadError(spec, stateDict(mOnly, randomWeights(mOnly, rng)))).toMatch(
      /; the file looks like a model with 2 blocks, no sLSTM block where Tiny has 3 blocks, sLSTM at \[1\]$/,
    );
  });

  it('names a prefix in front of the official names', () => {
    const spec = tinyModelSpec();
    const prefixed = new Map([...stateDict(spec, randomWeights(spec, rng))].map(([name, t]) => [`_orig_mod.${name}`, t]));
    expect(loadError(spec, prefixed)).toMatch(/; its names carry the prefix "_orig_mod\." \(save the xLSTMLMModel's own state_dict\(\), or strip the prefix\)$/);
  });

  it('refuses NaN and infinite values, naming the first one of each tensor', () => {
    const spec = tinyModelSpec();
    const weights = randomWeights(spec, rng);
    weights.get('xlstm_block_stack.post_blocks_norm.weight')![4] = NaN;
    weights.get('lm_head.weight')![0] = -Infinity;
    expect(loadError(spec, stateDict(spec, weights))).toBe(
      'w.safetensors: 2 tensors with NaN or infinite values (xlstm_block_stack.post_blocks_norm.weight: NaN at element 4, ' +
        'lm_head.weight: -Infinity at element 0)',
    );
  });

  describe('tied weights', () => {
    const spec = tinyModelSpec({ tieWeights: true });

    it('accepts lm_head.weight equal to the embedding, or absent, and returns the embedding once', () => {
      const weights = randomWeights(spec, rng);
      const full = stateDict(spec, weights);
      const withoutHead = new Map(full);
      withoutHead.delete('lm_head.weight');
      for (const tensors of [full, withoutHead]) {
        const loaded = loadWeights(spec, contents(tensors), LABEL);
        expect(loaded.has('lm_head.weight')).toBe(false);
        expect(loaded.get('token_embedding.weight')).toEqual(weights.get('token_embedding.weight'));
      }
    });

    it('refuses a head that differs from the embedding: the file is for an untied model', () => {
      const weights = randomWeights(spec, rng);
      const tensors = stateDict(spec, weights);
      const head = weights.get('token_embedding.weight')!.slice();
      head[5]! += 0.25;
      tensors.set('lm_head.weight', float64Tensor([7, 6], head));
      expect(loadError(spec, tensors)).toBe(
        'w.safetensors: lm_head.weight differs from token_embedding.weight (max abs difference 0.25), so the file is for ' +
          'a model with untied weights, but Tiny ties them (tie_weights true)',
      );
    });

    it('hints at tied weights when an untied model misses only lm_head.weight', () => {
      const untied = tinyModelSpec();
      const tensors = stateDict(spec, randomWeights(spec, rng));
      tensors.delete('lm_head.weight');
      expect(loadError(untied, tensors)).toBe(
        'w.safetensors does not fit model Tiny: 1 missing (lm_head.weight [7,6]); a file without lm_head.weight usually ' +
          'comes from a model with tied weights (tie_weights true)',
      );
    });
  });

  describe('sLSTM CUDA-backend layout', () => {
    const vanillaSpec = tinyModelSpec();
    const cudaSpec = withCudaBackend(vanillaSpec);
    const heads = { numHeads: 2, headDim: 3 };

    function cudaStateDict(weights: Map<string, Float64Array>): Map<string, Tensor> {
      const tensors = stateDict(vanillaSpec, weights);
      tensors.set(SLSTM_KERNEL, float64Tensor([2, 3, 12], vanillaKernelToCuda(heads, weights.get(SLSTM_KERNEL)!)));
      tensors.set(SLSTM_BIAS, float64Tensor([24], vanillaBiasToCuda(heads, weights.get(SLSTM_BIAS)!)));
      return tensors;
    }

    it('converts a backend-cuda checkpoint to the vanilla layout, and back for writing', () => {
      const weights = randomWeights(vanillaSpec, rng);
      const file = cudaStateDict(weights);
      const loaded = loadWeights(cudaSpec, contents(file), LABEL);
      for (const [name, values] of loaded) expect(values, `${name}, ${SEED}`).toEqual(weights.get(name));
      const written = toCheckpointTensors(cudaSpec, loaded);
      for (const [name, t] of written) {
        expect(t.shape, name).toEqual(file.get(name)!.shape);
        expect(t.data, `${name}, ${SEED}`).toEqual(file.get(name)!.data);
      }
    });

    it('says which backend a checkpoint in the other layout needs', () => {
      const weights = randomWeights(vanillaSpec, rng);
      expect(loadError(vanillaSpec, cudaStateDict(weights))).toBe(
        `w.safetensors does not fit model Tiny: 1 mis-shaped (${SLSTM_KERNEL}: file [2,3,12], model [2,12,3]); its sLSTM ` +
          'tensors are in the CUDA-backend layout but Tiny says backend vanilla (set `backend cuda` in its slstm section to load this file)',
      );
      expect(loadError(cudaSpec, stateDict(vanillaSpec, weights))).toBe(
        `w.safetensors does not fit model Tiny: 1 mis-shaped (${SLSTM_KERNEL}: file [2,12,3], model [2,3,12]); its sLSTM ` +
          'tensors are in the vanilla-backend layout but Tiny says backend cuda (set `backend vanilla` in its slstm section to load this file)',
      );
    });
  });
});

describe('readWeightsFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlstm-checkpoint-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a checkpoint from disk', async () => {
    const spec = tinyModelSpec();
    const weights = randomWeights(spec, rng);
    const path = join(dir, 'ok.safetensors');
    writeFileSync(path, serializeSafetensors(stateDict(spec, weights)));
    const loaded = await readWeightsFile(spec, path);
    expect(loaded.get('lm_head.weight'), SEED).toEqual(weights.get('lm_head.weight'));
  });

  it('fails on the header alone when the file is for another model, naming the path', async () => {
    const spec = tinyModelSpec();
    const other = tinyModelSpec({ vocab: 9 });
    const path = join(dir, 'other.safetensors');
    writeFileSync(path, serializeSafetensors(stateDict(other, randomWeights(other, rng))));
    await expect(readWeightsFile(spec, path)).rejects.toThrow(`${path} does not fit model Tiny: 2 mis-shaped`);
  });
});
