import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFile } from '../../../compiler/check/index.js';
import { parameterCount } from '../../../compiler/params.js';
import { check, model, specOf } from './check-helpers.js';
import { SHARED_GOLDEN } from '../ir/golden-spec.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const GOLDEN_DIRS = [join(ROOT, 'test', 'fixtures', 'golden'), SHARED_GOLDEN];

interface Golden {
  dir: string;
  config: {
    model: { blocks: Record<string, unknown>[] };
    official_config: Record<string, any>;
    golden: { num_parameters: number };
  };
}

function goldenCases(): Golden[] {
  const seen = new Map<string, Golden>();
  for (const root of GOLDEN_DIRS) {
    if (!existsSync(root)) continue;
    for (const name of readdirSync(root).filter((n) => n.startsWith('case_'))) {
      const file = join(root, name, 'config.json');
      if (!seen.has(name) && existsSync(file)) seen.set(name, { dir: name, config: JSON.parse(readFileSync(file, 'utf8')) });
    }
  }
  return [...seen.values()];
}

/** The .xlstm text for a golden config, written field by field from the official names. */
function goldenSource(o: Record<string, any>): string {
  const lines = [
    `vocab ${o.vocab_size}`,
    `embed ${o.embedding_dim}`,
    `context ${o.context_length}`,
    `blocks ${o.num_blocks}`,
    `slstm_at [${(o.slstm_at as number[]).join(', ')}]`,
    `tie_weights ${o.tie_weights}`,
    `bias ${o.bias}`,
    `post_blocks_norm ${o.add_post_blocks_norm}`,
  ];
  const m = o.mlstm_block?.mlstm;
  if (m) {
    lines.push(
      `mlstm { heads ${m.num_heads} proj_factor ${m.proj_factor.toFixed(1)} conv1d ${m.conv1d_kernel_size} qkv_blocksize ${m.qkv_proj_blocksize} round_up ${m.round_proj_up_dim_up} round_to ${m.round_proj_up_to_multiple_of} }`,
    );
  }
  const s = o.slstm_block?.slstm;
  const f = o.slstm_block?.feedforward;
  if (s) {
    const ffn = f ? `ffn { proj_factor ${f.proj_factor} act ${f.act_fn} bias ${f.bias} }` : 'ffn null';
    lines.push(
      `slstm { heads ${s.num_heads} conv1d ${s.conv1d_kernel_size} backend ${s.backend} bias_init ${s.bias_init} recurrent_init ${s.recurrent_weight_init} ${ffn} }`,
    );
  }
  return `model Golden {\n  ${lines.join('\n  ')}\n}\n`;
}

describe('golden cases: derived dims and parameter counts', () => {
  const cases = goldenCases();
  it('finds the golden fixtures', () => expect(cases.length).toBeGreaterThanOrEqual(5));
  for (const c of cases) {
    it(c.dir, () => {
      const spec = specOf(goldenSource(c.config.official_config));
      expect(parameterCount(spec)).toBe(c.config.golden.num_parameters);
      expect(spec.blocks.map((b) => b.kind)).toEqual(c.config.model.blocks.map((b) => b.type));
      c.config.model.blocks.forEach((want, i) => {
        const b = spec.blocks[i]!;
        if (b.kind === 'mlstm') {
          expect([b.innerDim, b.numHeads, b.headDim, b.numQkvBlocks, b.convKernel, b.bias]).toEqual([
            want.inner_embedding_dim, want.num_heads, want.head_dim, want.num_proj_heads, want.conv1d_kernel_size, want.bias,
          ]);
        } else {
          const ffn = want.ffn as Record<string, unknown>;
          expect([b.numHeads, b.headDim, b.convKernel, b.biasInit, b.recurrentWeightInit, b.ffn?.upDim, b.ffn?.act]).toEqual([
            want.num_heads, want.head_dim, want.conv1d_kernel_size, want.bias_init, want.recurrent_weight_init, ffn.proj_up_dim, ffn.act_fn,
          ]);
        }
      });
    });
  }
});

describe('resolution', () => {
  it('places ratio blocks by the documented rule', () => {
    const at = (blocks: number, ratio: string): number[] => specOf(model('', `vocab 32 embed 32 context 16 blocks ${blocks} ratio ${ratio}`)).slstmAt;
    // language.md: 7:1 with 8 → [4]; 1:1 with 4 → [1, 3]; 0:1 → all; 1:0 → none; 7:1 with 16 → [4, 12]
    expect(at(8, '7:1')).toEqual([4]);
    expect(at(4, '1:1')).toEqual([1, 3]);
    expect(at(3, '0:1')).toEqual([0, 1, 2]);
    expect(at(3, '1:0')).toEqual([]);
    expect(at(16, '7:1')).toEqual([4, 12]);
    // 2:2 with 4: group of 4, offsets floor(0.5·4/2) = 1 and floor(1.5·4/2) = 3
    expect(at(4, '2:2')).toEqual([1, 3]);
    expect(specOf(model('slstm_at all', 'vocab 32 embed 32 context 16 blocks 3')).slstmAt).toEqual([0, 1, 2]);
  });

  it('fills every default from the official dataclasses', () => {
    const spec = specOf(model('slstm_at [1]'));
    expect(spec).toMatchObject({
      tieWeights: false, addPostBlocksNorm: true, bias: false, dropout: 0, weightDecayOnEmbedding: false,
      addEmbeddingDropout: false, layerNormEps: 1e-5, mlstmCellEps: 1e-6, precision: 'f32',
    });
    expect(spec.mlstm).toEqual({
      projFactor: 2, roundProjUpDimUp: true, roundProjUpToMultipleOf: 64, numHeads: 4, headDim: 16, innerDim: 64,
      qkvProjBlocksize: 4, numQkvBlocks: 16, convKernel: 4, bias: false, dropout: 0,
    });
    expect(spec.slstm).toMatchObject({
      numHeads: 4, headDim: 8, convKernel: 4, backend: 'vanilla', function: 'slstm', biasInit: 'powerlaw_blockdependent',
      recurrentWeightInit: 'zeros', groupNormWeight: true, numGates: 4, numStates: 4, dropout: 0,
      ffn: { projFactor: 1.3, roundProjUpDimUp: true, roundProjUpToMultipleOf: 64, upDim: 64, act: 'gelu', bias: false, dropout: 0, ffType: 'ffn_gated' },
    });
    expect(spec.slstm!.cuda).toEqual({
      batchSize: 8, dtype: 'bfloat16', dtypeB: 'float32', dtypeR: 'bfloat16', dtypeW: 'bfloat16', dtypeG: 'bfloat16', dtypeS: 'bfloat16',
      dtypeA: 'float32', enableAutomaticMixedPrecision: true, gradientRecurrentCut: false, gradientRecurrentClipval: null,
      forwardClipval: null, inputShape: 'BSGNH', internalInputShape: 'SBNGH', outputShape: 'BNSH', initialVal: 0, constants: {},
    });
    expect(spec.train).toEqual({
      optimizer: 'adamw', lr: 1e-3, weightDecay: 0.1, betas: [0.9, 0.95], eps: 1e-8, batch: 16, clip: 1, warmup: 100,
      schedule: 'cosine', minLrRatio: 0.1, steps: 1000, gradAccum: 1, seqLen: 16,
    });
  });

  it('rounds projections like the official code (up or down to a multiple)', () => {
    // 1.3 · 100 = 130 → up to 192 / down to 128; to a multiple of 8 → 136
    const ffn = (extra: string) => specOf(model(`slstm { ffn { proj_factor 1.3 ${extra} } }`, 'vocab 32 embed 100 context 16 blocks 1 slstm_at [0]')).slstm!.ffn!.upDim;
    expect(ffn('')).toBe(192);
    expect(ffn('round_up false')).toBe(128);
    expect(ffn('round_to 8')).toBe(136);
    // numQkvBlocks = floor(I / qkv_blocksize): I = 64, block 8 → 8
    expect(specOf(model('mlstm { qkv_blocksize 8 }')).mlstm!.numQkvBlocks).toBe(8);
  });

  it('gives a template only for a kind that is written or used', () => {
    expect(specOf(model('')).slstm).toBeNull();
    expect(specOf(model('slstm { heads 2 }')).slstm!.numHeads).toBe(2);
    expect(specOf(model('slstm_at all')).mlstm).toBeNull();
    expect(specOf(model('slstm { ffn null }', 'vocab 32 embed 32 context 16 blocks 2 slstm_at [1]')).slstm!.ffn).toBeNull();
  });

  it('applies block overrides to those blocks only; the templates keep the section values', () => {
    const src = model(
      'slstm { heads 4 }\n  block 3 { slstm { heads 2  ffn null } }\n  block [0, 2] { mlstm { conv1d 2 } }',
      'vocab 32 embed 32 context 16 blocks 4 slstm_at [1, 3]',
    );
    const spec = specOf(src);
    expect(spec.slstm!.numHeads).toBe(4);
    expect(spec.mlstm!.convKernel).toBe(4);
    const b = spec.blocks;
    expect(b.map((x) => (x.kind === 'mlstm' ? x.convKernel : x.numHeads))).toEqual([2, 4, 2, 2]);
    expect(b[3]!.kind === 'slstm' && b[3]!.ffn).toBeNull();
    expect(b[1]!.kind === 'slstm' && b[1]!.ffn!.upDim).toBe(64);
  });

  it('inherits block overrides through extends and merges them', () => {
    const src = 'model A {\n  vocab 32 embed 32 context 16 blocks 2 slstm_at [1]\n  block 1 { slstm { heads 2 } }\n}\nmodel B extends A {\n  block 1 { slstm { conv1d 0 } }\n}\n';
    const b = check(src).models.find((m) => m.name === 'B')!.blocks[1]!;
    expect(b.kind === 'slstm' && [b.numHeads, b.convKernel]).toEqual([2, 0]);
  });

  it('writes the source span and the model name', () => {
    const spec = specOf('\n\nmodel Named { vocab 32 embed 32 context 16 blocks 1 }\n');
    expect(spec.name).toBe('Named');
    expect([spec.source!.line, spec.source!.col]).toEqual([3, 1]);
  });

  it('bench_small from the design brief has 502,040 parameters', () => {
    const r = checkFile(join(ROOT, 'examples', 'bench-small.xlstm'));
    expect(r.diagnostics).toEqual([]);
    expect(parameterCount(r.models[0]!)).toBe(502_040);
  });
});
