import { describe, expect, it } from 'vitest';
import { specFromOfficialConfig } from '../../../compiler/interop/from-official.js';
import { officialBlockConfigsFromSpec, officialConfigFromSpec } from '../../../compiler/interop/to-official.js';
import { parameterCount } from '../../../compiler/params.js';
import { goldenConfigs } from './golden-cases.js';

const cases = goldenConfigs();

describe('golden official configs', () => {
  it('includes every case, mixed_7_1 too when the shared folder has it', () => {
    expect(cases.map((c) => c.name)).toEqual(expect.arrayContaining(['m_only', 's_only', 'mixed_1_1', 'm_only_perturbed', 's_only_perturbed']));
  });

  describe.each(cases.map((c) => [c.name, c] as const))('%s', (_, golden) => {
    const result = specFromOfficialConfig(golden.officialConfig, 'Golden');

    it('imports without errors or warnings', () => {
      expect(result.errors).toEqual([]);
      expect(result.warnings).toEqual([]);
    });

    it('exports the identical post-init config (keys, values and key order)', () => {
      expect(JSON.stringify(officialConfigFromSpec(result.spec!))).toBe(JSON.stringify(golden.officialConfig));
    });

    it('derives every per-block config as the official __post_init__ does', () => {
      expect(JSON.stringify(officialBlockConfigsFromSpec(result.spec!))).toBe(JSON.stringify(golden.officialBlockConfigs));
    });

    it('resolves the dims the golden model summary records', () => {
      const spec = result.spec!;
      expect(spec.slstmAt).toEqual(golden.model.slstm_at);
      expect(spec.blocks.map((b) => b.kind)).toEqual(golden.model.block_types);
      for (const [i, g] of golden.model.blocks.entries()) {
        const b = spec.blocks[i]!;
        expect(b.numHeads).toBe(g.num_heads);
        expect(b.headDim).toBe(g.head_dim);
        expect(b.convKernel).toBe(g.conv1d_kernel_size);
        if (b.kind === 'mlstm') {
          expect(b.innerDim).toBe(g.inner_embedding_dim);
          expect(b.numQkvBlocks).toBe(g.num_proj_heads);
          expect(b.bias).toBe(g.bias);
        } else {
          expect(b.biasInit).toBe(g.bias_init);
          expect(b.ffn?.upDim).toBe((g.ffn as { proj_up_dim: number }).proj_up_dim);
        }
      }
      expect(spec.layerNormEps).toBe(golden.model.layer_norm_eps);
      expect(spec.mlstmCellEps).toBe(golden.model.mlstm_cell_eps);
    });

    it('equals the spec written from the golden model summary, up to what the summary does not record', () => {
      // the summary spec takes training settings from the golden run and the sLSTM internal_input_shape
      // from the per-block copies, which the official vanilla cell overwrites with "SBGNH"
      const fromSummary = structuredClone(golden.summarySpec);
      const cudaOptions = [fromSummary.slstm, ...fromSummary.blocks].flatMap((s) => (s !== null && 'cuda' in s ? [s.cuda] : []));
      for (const c of cudaOptions) c.internalInputShape = 'SBNGH';
      expect({ ...result.spec!, name: fromSummary.name, train: fromSummary.train }).toEqual(fromSummary);
    });

    it('has the golden parameter count', () => {
      expect(parameterCount(result.spec!)).toBe(golden.numParameters);
    });
  });
});
