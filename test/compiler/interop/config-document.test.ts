import { describe, expect, it } from 'vitest';
import { locateModelConfig, resolveInterpolations } from '../../../compiler/interop/config-document.js';
import { specFromOfficialConfig } from '../../../compiler/interop/from-official.js';
import { parseConfigText } from '../../../compiler/interop/read-config.js';

/** experiments/parity_xlstm11.yaml of the official repository (NX-AI/xlstm 2.0.5), shortened. */
const PARITY_XLSTM11 = `
training:
  batch_size: 256
  lr: 0.001
  num_steps: 20000
  lr_decay_until_steps: \${.num_steps}
model:
  num_blocks: 2
  embedding_dim: 64
  mlstm_block:
    mlstm:
      num_heads: 1
  slstm_block:
    slstm:
      num_heads: 1
  slstm_at: [1]
  context_length: \${dataset.kwargs.context_length}
  vocab_size: \${dataset.kwargs.vocab_size}
dataset:
  name: form_language
  kwargs:
    vocab_size: 3
    context_length: 256
`;

describe('locateModelConfig', () => {
  it('takes a bare model config as it is', () => {
    const doc = { num_blocks: 2, model: 'x' };
    expect(locateModelConfig(doc)).toEqual({ config: doc, path: '' });
  });

  it('finds official_config in a golden case file', () => {
    const official = { num_blocks: 3 };
    expect(locateModelConfig({ case: 'm_only', official_config: official, model: { blocks: [] } })).toEqual({ config: official, path: 'official_config' });
  });

  it('finds model: in an experiments file and resolves its absolute interpolations', () => {
    const located = locateModelConfig(parseConfigText(PARITY_XLSTM11, 'parity.yaml', 'yaml'));
    expect(located.path).toBe('model');
    expect(located.config).toMatchObject({ context_length: 256, vocab_size: 3, slstm_at: [1] });
    const r = specFromOfficialConfig(located.config, 'Parity', { path: located.path });
    expect(r.errors).toEqual([]);
    // the official default backend is cuda; both layers have one head: mLSTM 128 wide, sLSTM 64
    expect(r.spec!.slstm).toMatchObject({ numHeads: 1, headDim: 64, backend: 'cuda' });
    expect(r.spec!.mlstm).toMatchObject({ numHeads: 1, headDim: 128 });
  });
});

describe('resolveInterpolations', () => {
  const root = { a: { b: 7, c: '${a.b}' }, s: 'x' };

  it('follows chains and leaves what it cannot resolve as written', () => {
    expect(resolveInterpolations({ p: '${a.c}', q: '${a.missing}', r: '${.b}', t: 'n=${a.b}', u: ['${s}'] }, root)).toEqual({
      p: 7,
      q: '${a.missing}',
      r: '${.b}',
      t: 'n=${a.b}',
      u: ['x'],
    });
  });

  it('stops on a cycle', () => {
    expect(resolveInterpolations('${x}', { x: '${y}', y: '${x}' })).toMatch(/^\$\{[xy]\}$/);
  });
});
