import { describe, expect, it } from 'vitest';
import { checkSource } from '../../../compiler/check/index.js';
import { renderDiagnostic } from '../../../compiler/diagnostics.js';
import { specFromOfficialConfig } from '../../../compiler/interop/from-official.js';
import { officialConfigFromSpec, officialConfigLimits } from '../../../compiler/interop/to-official.js';
import { isModelName, xlstmSourceFromSpec } from '../../../compiler/interop/to-xlstm.js';
import { parameterCount } from '../../../compiler/params.js';
import { formatSource } from '../../../grammar/format.js';
import type { ModelSpec } from '../../../compiler/spec.js';
import { goldenConfigs } from './golden-cases.js';

const golden = goldenConfigs();

function goldenSpec(name: string): ModelSpec {
  return specFromOfficialConfig(golden.find((g) => g.name === name)!.officialConfig, 'Golden').spec!;
}

/** Checks `text` and returns its one model; fails the test on any checker error. */
function checkBack(text: string): ModelSpec {
  const checked = checkSource(text, 'imported.xlstm');
  const errors = checked.diagnostics.filter((d) => d.severity === 'error').map((d) => renderDiagnostic(d, text));
  expect(errors, text).toEqual([]);
  expect(checked.models).toHaveLength(1);
  return checked.models[0]!;
}

function modelLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('  '))
    .map((l) => l.trim());
}

describe.each(golden.map((g) => [g.name, g] as const))('golden %s: config → .xlstm → check → config', (_, g) => {
  const spec = specFromOfficialConfig(g.officialConfig, 'Golden').spec!;
  const text = xlstmSourceFromSpec(spec, { importedFrom: `${g.name}/config.json` });
  const back = checkBack(text);

  it('checks back to the same spec', () => {
    expect({ ...back, source: undefined }).toEqual({ ...spec, source: undefined });
  });

  it('exports the golden official_config again', () => {
    expect(JSON.stringify(officialConfigFromSpec(back))).toBe(JSON.stringify(g.officialConfig));
  });

  it('has the golden parameter count', () => {
    expect(parameterCount(back)).toBe(g.numParameters);
  });

  it('says where it came from', () => {
    expect(text.split('\n')[0]).toBe(`// Imported by \`xlstm import-config\` from ${g.name}/config.json`);
  });
});

describe('xlstmSourceFromSpec', () => {
  it('writes only what differs from the defaults (mixed_1_1)', () => {
    expect(modelLines(xlstmSourceFromSpec(goldenSpec('mixed_1_1')))).toEqual([
      'vocab 32',
      'embed 32',
      'context 24',
      'blocks 4',
      'ratio 1:1 // sLSTM blocks at [1, 3]',
      'tie_weights true',
      'bias true',
      'mlstm {',
      'heads 2',
      'proj_factor 1.5',
      'conv1d 2',
      'qkv_blocksize 8',
      '}',
      'slstm {',
      'heads 2',
      'conv1d 0',
      'bias_init small_init',
      'recurrent_init standard',
      'ffn {',
      'act swish',
      '}',
      '}',
    ]);
  });

  it('uses a ratio only when the placement rule gives the same blocks', () => {
    // 7:1 over 8 blocks places the sLSTM block at 4, not 3
    expect(modelLines(xlstmSourceFromSpec(goldenSpec('mixed_7_1')))).toContain('slstm_at [3]');
    expect(modelLines(xlstmSourceFromSpec(goldenSpec('s_only')))).toContain('slstm_at all');
    const at4 = specFromOfficialConfig({ vocab_size: 8, embedding_dim: 8, num_blocks: 8, context_length: 4, mlstm_block: {}, slstm_block: {}, slstm_at: [4] }, 'M');
    expect(modelLines(xlstmSourceFromSpec(at4.spec!))).toContain('ratio 7:1 // sLSTM blocks at [4]');
    expect(modelLines(xlstmSourceFromSpec(goldenSpec('m_only'))).some((l) => l.startsWith('slstm_at') || l.startsWith('ratio'))).toBe(false);
  });

  it('writes the cuda section only with non-default values, and the official default backend', () => {
    const r = specFromOfficialConfig({ vocab_size: 8, embedding_dim: 8, num_blocks: 1, context_length: 4, slstm_block: { slstm: { dtype: 'float32', batch_size: 4 }, feedforward: null } }, 'M');
    const lines = modelLines(xlstmSourceFromSpec(r.spec!));
    // dtype_b defaults to float32 in both; dtype_r/w/g/s follow dtype officially but have fixed defaults in the language
    expect(lines.slice(lines.indexOf('cuda {'))).toEqual(['cuda {', 'batch_size 4', 'dtype float32', 'dtype_r float32', 'dtype_w float32', 'dtype_g float32', 'dtype_s float32', '}', '}']);
    expect(lines).toContain('backend cuda');
    expect(lines).toContain('ffn null');
    expect(checkBack(xlstmSourceFromSpec(r.spec!)).slstm).toEqual(r.spec!.slstm);
  });

  it('keeps an unused layer template by writing its section', () => {
    const spec = goldenSpec('s_only');
    const withTemplate: ModelSpec = { ...spec, mlstm: goldenSpec('m_only').mlstm };
    const text = xlstmSourceFromSpec(withTemplate);
    expect(modelLines(text)).toContain('mlstm {}');
    expect(formatSource(text, 'unused.xlstm').output).toBe(text);
    expect(checkBack(text).mlstm).toEqual(withTemplate.mlstm);
  });

  it('writes every key with writeDefaults, and still checks back to the same spec', () => {
    const spec = goldenSpec('mixed_7_1');
    const text = xlstmSourceFromSpec(spec, { writeDefaults: true });
    const lines = modelLines(text);
    for (const line of ['post_blocks_norm true', 'norm_eps 0.00001', 'mlstm_eps 0.000001', 'heads 4', 'proj_factor 1.3', 'act gelu', 'internal_input_shape "SBNGH"', 'seq_len 32', 'betas (0.9, 0.95)', 'clip 1.0']) {
      expect(lines).toContain(line);
    }
    expect({ ...checkBack(text), source: undefined }).toEqual({ ...spec, source: undefined });
  });

  it('writes non-default training settings', () => {
    const spec = goldenSpec('m_only');
    const trained: ModelSpec = { ...spec, train: { ...spec.train, lr: 3e-4, clip: null, betas: [0.9, 0.999], seqLen: 8 } };
    const lines = modelLines(xlstmSourceFromSpec(trained));
    expect(lines.slice(lines.indexOf('train {'))).toEqual(['train {', 'lr 0.0003', 'betas (0.9, 0.999)', 'clip null', 'seq_len 8', '}']);
    expect(checkBack(xlstmSourceFromSpec(trained)).train).toEqual(trained.train);
  });

  it('writes per-block overrides for blocks that differ from their template', () => {
    const spec = goldenSpec('mixed_1_1');
    const blocks = spec.blocks.map((b) => structuredClone(b));
    const b0 = blocks[0]!;
    const b3 = blocks[3]!;
    if (b0.kind !== 'mlstm' || b3.kind !== 'slstm') throw new Error('mixed_1_1 is m s m s');
    b0.convKernel = 3;
    b3.numHeads = 4;
    b3.headDim = 8;
    b3.ffn = null;
    const overridden: ModelSpec = { ...spec, blocks };
    const text = xlstmSourceFromSpec(overridden);
    const lines = modelLines(text);
    expect(lines.slice(lines.indexOf('block 0 {'))).toEqual(['block 0 {', 'mlstm {', 'conv1d 3', '}', '}', 'block 3 {', 'slstm {', 'heads 4', 'ffn null', '}', '}']);
    expect({ ...checkBack(text), source: undefined }).toEqual({ ...overridden, source: undefined });
    expect(formatSource(text, 'overridden.xlstm').output).toBe(text);
    expect(officialConfigLimits(overridden).errors).toEqual([
      'block 0 overrides the mlstm settings; the official config has one mlstm layer config for every mlstm block',
      'block 3 overrides the slstm settings; the official config has one slstm layer config for every slstm block',
    ]);
  });

  it('gives a block its own feed-forward under a template without one', () => {
    const spec = specFromOfficialConfig({ vocab_size: 8, embedding_dim: 16, num_blocks: 2, context_length: 4, slstm_block: { feedforward: null } }, 'M').spec!;
    const blocks = spec.blocks.map((b) => structuredClone(b));
    const b1 = blocks[1]!;
    if (b1.kind !== 'slstm') throw new Error('every block is sLSTM');
    // the official FFN defaults: 1.3 × 16 = 20.8 → 64
    b1.ffn = { projFactor: 1.3, roundProjUpDimUp: true, roundProjUpToMultipleOf: 64, upDim: 64, act: 'gelu', bias: false, dropout: 0, ffType: 'ffn_gated' };
    const withFfn: ModelSpec = { ...spec, blocks };
    const text = xlstmSourceFromSpec(withFfn);
    const lines = modelLines(text);
    expect(lines.slice(lines.indexOf('block 1 {'))).toEqual(['block 1 {', 'slstm {', 'ffn {}', '}', '}']);
    expect({ ...checkBack(text), source: undefined }).toEqual({ ...withFfn, source: undefined });
    expect(formatSource(text, 'ffn.xlstm').output).toBe(text);
  });

  it('refuses a name that cannot name a model', () => {
    expect(isModelName('Char_Lm2')).toBe(true);
    expect(['2lm', 'model', 'a-b', ''].map(isModelName)).toEqual([false, false, false, false]);
    expect(() => xlstmSourceFromSpec({ ...goldenSpec('m_only'), name: 'let' })).toThrow('"let" cannot name a model');
  });
});

describe('officialConfigLimits', () => {
  it('has nothing to say about an imported model', () => {
    expect(officialConfigLimits(goldenSpec('mixed_1_1'))).toEqual({ errors: [], warnings: [] });
  });

  it('warns that the official code fixes both eps values', () => {
    const spec = { ...goldenSpec('m_only'), layerNormEps: 1e-6, mlstmCellEps: 0 };
    expect(officialConfigLimits(spec).warnings).toEqual([
      'norm_eps 0.000001 is not exported: the official LayerNorm eps is fixed at 0.00001',
      'mlstm_eps 0 is not exported: the official mLSTM cell eps is fixed at 0.000001',
    ]);
  });
});
