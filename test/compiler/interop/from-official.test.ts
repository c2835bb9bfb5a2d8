import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { specFromOfficialConfig } from '../../../compiler/interop/from-official.js';
import { parseConfigText } from '../../../compiler/interop/read-config.js';
import { officialConfigFromSpec } from '../../../compiler/interop/to-official.js';

const README_LM_YAML = readFileSync(join(import.meta.dirname, '../../fixtures/official/readme-lm.yaml'), 'utf8');

type Json = Record<string, unknown>;

/** A small valid sparse config (one mLSTM and one sLSTM block), with fields replaced by `patch` (deep). */
function config(patch: Json = {}): Json {
  const base: Json = {
    vocab_size: 32,
    embedding_dim: 32,
    num_blocks: 2,
    context_length: 16,
    mlstm_block: { mlstm: {} },
    slstm_block: { slstm: { backend: 'vanilla' }, feedforward: {} },
    slstm_at: [1],
  };
  return merge(base, patch);
}

function merge(base: Json, patch: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const b = base[k];
    const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
    out[k] = isObj(b) && isObj(v) ? merge(b, v) : v;
  }
  return out;
}

function errorsOf(patch: Json): string[] {
  const r = specFromOfficialConfig(config(patch), 'M');
  expect(r.spec).toBeUndefined();
  return r.errors;
}

function warningsOf(patch: Json): string[] {
  const r = specFromOfficialConfig(config(patch), 'M');
  expect(r.errors).toEqual([]);
  return r.warnings;
}

describe('sparse YAML (official README)', () => {
  const doc = parseConfigText(README_LM_YAML, 'readme.yaml', 'yaml');
  const r = specFromOfficialConfig(doc, 'Readme');
  const spec = r.spec!;

  it('reads without errors or warnings', () => {
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('takes the given values', () => {
    expect(spec.name).toBe('Readme');
    expect([spec.vocabSize, spec.embeddingDim, spec.numBlocks, spec.contextLength]).toEqual([50304, 128, 7, 256]);
    expect(spec.slstmAt).toEqual([1]);
    expect(spec.blocks.map((b) => b.kind).join(' ')).toBe('mlstm slstm mlstm mlstm mlstm mlstm mlstm');
  });

  it('fills the official defaults and derivations', () => {
    // mLSTM: proj_factor 2.0 × 128 = 256 (a multiple of 64); 4 heads of 64; 256 / 4 = 64 q/k/v blocks
    expect(spec.mlstm).toMatchObject({ projFactor: 2, innerDim: 256, numHeads: 4, headDim: 64, numQkvBlocks: 64, convKernel: 4, bias: false, dropout: 0 });
    // sLSTM: 128 / 4 heads = 32; FFN 1.3 × 128 = 166.4 → rounded up to 192
    expect(spec.slstm).toMatchObject({ numHeads: 4, headDim: 32, backend: 'cuda', function: 'slstm', numStates: 4, groupNormWeight: true, recurrentWeightInit: 'zeros' });
    expect(spec.slstm!.ffn).toMatchObject({ upDim: 192, act: 'gelu', bias: false, dropout: 0 });
    // dtype_b defaults to float32, dtype_a follows dtype_b, the others follow dtype (bfloat16)
    expect(spec.slstm!.cuda).toMatchObject({ dtype: 'bfloat16', dtypeB: 'float32', dtypeR: 'bfloat16', dtypeW: 'bfloat16', dtypeG: 'bfloat16', dtypeS: 'bfloat16', dtypeA: 'float32' });
    expect([spec.tieWeights, spec.addPostBlocksNorm, spec.bias, spec.dropout, spec.addEmbeddingDropout]).toEqual([false, true, false, 0, false]);
    expect(spec.train).toMatchObject({ lr: 1e-3, batch: 16, seqLen: 256, schedule: 'cosine', clip: 1 });
  });

  it('exports the post-init config with the derived fields filled as the official code does', () => {
    const out = officialConfigFromSpec(spec) as Json & { slstm_block: Json & { feedforward: Json }; mlstm_block: Json & { mlstm: Json } };
    expect(out._block_map).toBe('0,1,0,0,0,0,0');
    expect(out.mlstm_block.mlstm._inner_embedding_dim).toBe(256);
    expect(out.mlstm_block.mlstm.context_length).toBe(256);
    // the stack's FFN template keeps embedding_dim -1: ceil(-1.3 / 64) · 64 = 0
    expect(out.slstm_block.feedforward).toMatchObject({ embedding_dim: -1, _proj_up_dim: 0, _num_blocks: 1 });
  });

  it('derives the sLSTM dtypes from dtype when only dtype is given', () => {
    const s = specFromOfficialConfig(config({ slstm_block: { slstm: { dtype: 'float16', dtype_b: null } } }), 'M').spec!;
    expect(s.slstm!.cuda).toMatchObject({ dtypeB: 'float16', dtypeR: 'float16', dtypeW: 'float16', dtypeG: 'float16', dtypeS: 'float16', dtypeA: 'float16' });
  });

  it('rounds down when asked: 2.0 × 40 = 80 → 64', () => {
    const s = specFromOfficialConfig(config({ embedding_dim: 40, mlstm_block: { mlstm: { round_proj_up_dim_up: false, num_heads: 2 } }, slstm_block: { slstm: { num_heads: 2 } } }), 'M').spec!;
    expect(s.mlstm!.innerDim).toBe(64);
  });

  it('makes every block sLSTM when mlstm_block is omitted', () => {
    const r2 = specFromOfficialConfig({ vocab_size: 8, embedding_dim: 16, num_blocks: 3, context_length: 4, slstm_block: {} }, 'S');
    expect(r2.errors).toEqual([]);
    expect(r2.spec!.slstmAt).toEqual([0, 1, 2]);
    expect(r2.spec!.mlstm).toBeNull();
  });

  it('accepts slstm_at "all"', () => {
    expect(specFromOfficialConfig(config({ slstm_at: 'all' }), 'M').spec!.slstmAt).toEqual([0, 1]);
  });
});

describe('accepted with a warning', () => {
  it('drops an sLSTM template no block uses (experiments/parity_xlstm10.yaml: slstm_block: {}, slstm_at: [])', () => {
    const r = specFromOfficialConfig(config({ slstm_at: [] }), 'M');
    expect(r.spec!.slstm).toBeNull();
    expect(r.warnings).toEqual(['slstm_block: not used (no block is an sLSTM block); left out']);
  });

  it('drops an mLSTM template no block uses', () => {
    const r = specFromOfficialConfig(config({ slstm_at: [0, 1] }), 'M');
    expect(r.spec!.mlstm).toBeNull();
    expect(r.warnings).toEqual(['mlstm_block: not used (every block is an sLSTM block); left out']);
  });

  it('sorts slstm_at and drops repeats', () => {
    const r = specFromOfficialConfig(config({ num_blocks: 4, slstm_at: [3, 1, 3] }), 'M');
    expect(r.spec!.slstmAt).toEqual([1, 3]);
    expect(r.warnings).toEqual(['slstm_at: read as [1,3] (sorted, without repeats; the same blocks)']);
  });

  it('ignores slstm_at when mlstm_block is null', () => {
    expect(warningsOf({ mlstm_block: null, slstm_at: [1] })).toEqual(['slstm_at: ignored: with mlstm_block null the official code makes every block an sLSTM block']);
  });

  it('replaces sLSTM num_heads <= 0 with 1, as the official code does', () => {
    const r = specFromOfficialConfig(config({ slstm_block: { slstm: { num_heads: 0 } } }), 'M');
    expect(r.spec!.slstm!.numHeads).toBe(1);
    expect(r.warnings).toEqual(['slstm_block.slstm.num_heads: 0 becomes 1 (the official sLSTMCellConfig replaces num_heads <= 0 with 1)']);
  });

  it('says when a given derived field disagrees with the official derivation', () => {
    expect(warningsOf({ mlstm_block: { mlstm: { _inner_embedding_dim: 100 } }, _block_map: '0,1' })).toEqual([
      'mlstm_block.mlstm._inner_embedding_dim: 100 is ignored: the official code derives this field (64 here)',
    ]);
  });

});

describe('rejected, naming the field', () => {
  it('a document that is not a mapping', () => {
    expect(specFromOfficialConfig([1, 2], 'M').errors).toEqual(['config: expected a mapping of xLSTMLMModelConfig fields, got a list']);
  });

  it.each([
    [{ slstm_block: { slstm: { num_heads: '4x' } } }, 'slstm_block.slstm.num_heads: expected an integer, got "4x"'],
    [{ num_blocks: 2.5 }, 'num_blocks: expected an integer, got 2.5'],
    [{ mlstm_block: { mlstm: { proj_factor: 'big' } } }, 'mlstm_block.mlstm.proj_factor: expected a number, got "big"'],
    [{ tie_weights: 'yes please' }, 'tie_weights: expected true or false, got "yes please"'],
    [{ slstm_block: { feedforward: { act_fn: 'relu2' } } }, 'slstm_block.feedforward.act_fn: expected one of "gelu", "swish", "relu", "relu^2", "sigmoid", "selu", got "relu2"; did you mean "relu^2"?'],
    [{ slstm_block: { slstm: { backend: 'cpu' } } }, 'slstm_block.slstm.backend: expected one of "vanilla", "cuda", got "cpu"'],
    [{ slstm_block: { slstm: { bias_init: 'zeros' } } }, 'slstm_block.slstm.bias_init: expected one of "powerlaw_blockdependent", "small_init", "standard", got "zeros"'],
    [{ slstm_at: [0, 'one'] }, 'slstm_at: expected a list of block indices or "all", got a list'],
    [{ slstm_at: 'some' }, 'slstm_at: expected a list of block indices or "all", got "some"'],
    [{ mlstm_block: 4 }, 'mlstm_block: expected a mapping, got 4'],
    [{ slstm_block: { feedforward: { ff_type: 'ffn' } } }, 'slstm_block.feedforward.ff_type: expected one of "ffn_gated", got "ffn"'],
    [{ context_length: '${dataset.kwargs.context_length}' }, 'context_length: expected an integer, got "${dataset.kwargs.context_length}" (an unresolved OmegaConf interpolation; write the value itself)'],
    [{ slstm_block: { slstm: { constants: [] } } }, 'slstm_block.slstm.constants: expected a mapping, got a list'],
    [{ slstm_block: { slstm: { dtype_r: 'float64' } } }, 'slstm_block.slstm.dtype_r: expected one of "bfloat16", "float16", "float32", got "float64"; did you mean "float16"?'],
    [{ dropout: Number.NaN }, 'dropout: expected a number, got NaN'],
  ])('wrong type %#', (patch, message) => {
    expect(errorsOf(patch)).toEqual([message]);
  });

  it('unknown fields, with a suggestion when one is close', () => {
    expect(errorsOf({ slstm_block: { slstm: { num_head: 4 } }, embeding_dim: 8, foo: 1 })).toEqual([
      'embeding_dim: unknown field (did you mean "embedding_dim"?)',
      'foo: unknown field',
      'slstm_block.slstm.num_head: unknown field (did you mean "num_heads"?)',
    ]);
  });

  it('reports every type error at once', () => {
    expect(errorsOf({ vocab_size: 'x', bias: 1 })).toHaveLength(2);
  });

  it.each([
    [{ vocab_size: undefined }, 'vocab_size: required (the official default -1 cannot build a model)'],
    [{ vocab_size: 1 }, 'vocab_size: must be at least 2, got 1'],
    [{ embedding_dim: 0 }, 'embedding_dim: must be at least 1, got 0'],
    [{ num_blocks: 0 }, 'num_blocks: must be at least 1, got 0'],
    [{ context_length: undefined }, 'context_length: required (the official default -1 only works without mLSTM blocks; this project also trains on it)'],
    [{ context_length: 0 }, 'context_length: must be at least 1, got 0'],
    [{ dropout: 1 }, 'dropout: 1 must be at least 0 and below 1'],
    [{ dropout: -0.5 }, 'dropout: -0.5 must be at least 0 and below 1'],
    [{ slstm_at: [2] }, 'slstm_at: block index 2 is out of range for num_blocks 2 (0..1)'],
    [{ slstm_at: [-1] }, 'slstm_at: block index -1 is negative; blocks are numbered 0..1'],
    [{ slstm_block: null }, 'slstm_block: required: slstm_at places sLSTM blocks at [1], but slstm_block is null'],
    [{ slstm_block: null, mlstm_block: null }, 'slstm_block: required: mlstm_block is null, so every block is an sLSTM block, but slstm_block is null'],
    [{ mlstm_block: { mlstm: { num_heads: 3 } } }, 'mlstm_block.mlstm.num_heads: 3 does not divide the inner dim 64 (proj_factor 2 × embedding_dim 32, rounded to a multiple of 64); use 2 or 4'],
    [{ mlstm_block: { mlstm: { num_heads: 0 } } }, 'mlstm_block.mlstm.num_heads: must be at least 1, got 0'],
    [{ mlstm_block: { mlstm: { qkv_proj_blocksize: 5 } } }, 'mlstm_block.mlstm.qkv_proj_blocksize: 5 gives 64 // 5 = 12 q/k/v blocks, which do not divide the inner dim 64 (the official LinearHeadwiseExpand rejects this); use 4 or 8'],
    [{ mlstm_block: { mlstm: { qkv_proj_blocksize: 128 } } }, 'mlstm_block.mlstm.qkv_proj_blocksize: 128 is larger than the inner dim 64; use 64'],
    [{ mlstm_block: { mlstm: { conv1d_kernel_size: 0 } } }, 'mlstm_block.mlstm.conv1d_kernel_size: 0 is not supported: the official mLSTM layer crashes with a kernel size below 2 (0 leaves it without a conv, 1 makes the causal slice empty); use 2 or more'],
    [{ mlstm_block: { mlstm: { conv1d_kernel_size: 1 } } }, 'mlstm_block.mlstm.conv1d_kernel_size: 1 is not supported: the official mLSTM layer crashes with a kernel size below 2 (0 leaves it without a conv, 1 makes the causal slice empty); use 2 or more'],
    [{ mlstm_block: { mlstm: { round_proj_up_to_multiple_of: 0 } } }, 'mlstm_block.mlstm.round_proj_up_to_multiple_of: must be at least 1, got 0 (the official code divides by it)'],
    [{ mlstm_block: { mlstm: { proj_factor: 1.5, round_proj_up_dim_up: false } } }, 'mlstm_block.mlstm.proj_factor: 1.5 × embedding_dim 32 rounded down to a multiple of 64 gives inner dim 0; it must be at least 1'],
    [{ slstm_block: { slstm: { num_heads: 3 } } }, 'slstm_block.slstm.num_heads: 3 does not divide embedding_dim 32; use 2 or 4'],
    [{ slstm_block: { slstm: { num_heads: 32 } } }, 'slstm_block.slstm.num_heads: 32 heads of embedding_dim 32 give head dim 1, for which bias_init "powerlaw_blockdependent" divides by zero (NaN biases); use fewer heads or another bias_init'],
    [{ slstm_block: { slstm: { conv1d_kernel_size: 1 } } }, 'slstm_block.slstm.conv1d_kernel_size: 1 crashes the official code (the causal conv slice is empty); use 0 for no convolution, or 2 or more'],
    [{ slstm_block: { slstm: { conv1d_kernel_size: -2 } } }, 'slstm_block.slstm.conv1d_kernel_size: -2 is not supported; use 0 for no convolution, or 2 or more'],
    [{ slstm_block: { slstm: { num_gates: 3 } } }, 'slstm_block.slstm.num_gates: only 4 is supported (the gates i, f, z, o), got 3'],
    [{ slstm_block: { slstm: { input_shape: 'SBGNH' } } }, 'slstm_block.slstm.input_shape: "SBGNH" makes the official sLSTM cell read its [batch, time] input as [time, batch]; only "BSGNH" is supported'],
    [{ slstm_block: { slstm: { output_shape: 'SBH' } } }, 'slstm_block.slstm.output_shape: "SBH" does not match what the official sLSTM layer expects from its cell; only "BNSH" is supported'],
    [{ slstm_block: { slstm: { initial_val: [0, 0] } } }, 'slstm_block.slstm.initial_val: a list of initial values is not supported (the field is unused by the official code); use a number'],
    [{ slstm_block: { slstm: { batch_size: 0 } } }, 'slstm_block.slstm.batch_size: must be at least 1, got 0'],
    [{ slstm_block: { feedforward: { dropout: 2 } } }, 'slstm_block.feedforward.dropout: 2 must be at least 0 and below 1'],
    // the official code would build 128 // 48 = 2 blocks of 64: the same model as 64
    [{ embedding_dim: 64, mlstm_block: { mlstm: { qkv_proj_blocksize: 48 } } }, 'mlstm_block.mlstm.qkv_proj_blocksize: 48 does not divide the inner dim 128 (the official code then builds 2 q/k/v blocks of 64 features); write 64 for that same model'],
    [{ slstm_block: { feedforward: { proj_factor: -1 } } }, 'slstm_block.feedforward.proj_factor: -1 × embedding_dim 32 rounded up to a multiple of 64 gives up-projection dim 0; it must be at least 1'],
  ])('impossible value %#', (patch, message) => {
    const cleaned = JSON.parse(JSON.stringify(config(patch as Json)));
    const r = specFromOfficialConfig(cleaned, 'M');
    expect(r.spec).toBeUndefined();
    expect(r.errors).toEqual([message]);
  });

  it('prefixes paths with where the config sits in its document', () => {
    expect(specFromOfficialConfig(config({ num_blocks: 'x' }), 'M', { path: 'model' }).errors).toEqual(['model.num_blocks: expected an integer, got "x"']);
  });
});
