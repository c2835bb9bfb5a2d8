import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFile } from '../../../compiler/check/index.js';
import { parameterCount } from '../../../compiler/params.js';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples');
const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.xlstm'));

describe('examples', () => {
  it('exist', () => expect(files.length).toBeGreaterThanOrEqual(8));
  for (const f of files) {
    it(`${f} checks without errors and resolves every model`, () => {
      const r = checkFile(join(EXAMPLES, f));
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(r.models.map((m) => m.name)).toEqual(r.declared);
      expect(r.models.length).toBeGreaterThan(0);
    });
  }

  it('have the shapes the brief asks for', () => {
    const one = (f: string) => checkFile(join(EXAMPLES, f)).models[0]!;
    const readme = one('official-readme.xlstm');
    expect([readme.vocabSize, readme.embeddingDim, readme.contextLength, readme.numBlocks, readme.slstmAt]).toEqual([50304, 128, 256, 7, [1]]);
    expect(readme.slstm).toMatchObject({ numHeads: 4, convKernel: 4, backend: 'vanilla', biasInit: 'powerlaw_blockdependent', ffn: { projFactor: 1.3, act: 'gelu' } });
    expect(readme.mlstm).toMatchObject({ convKernel: 4, qkvProjBlocksize: 4, numHeads: 4 });
    const charLm = one('char-lm.xlstm');
    expect([charLm.vocabSize, charLm.numBlocks, charLm.slstmAt]).toEqual([256, 8, [4]]);
    expect(one('parity-slstm.xlstm').blocks.map((b) => b.kind)).toEqual(['slstm', 'slstm']);
    expect(one('parity-mlstm.xlstm').blocks.map((b) => b.kind)).toEqual(['mlstm', 'mlstm']);
    expect(one('parity-mixed.xlstm').blocks.map((b) => b.kind)).toEqual(['mlstm', 'slstm']);
    const big = one('xlstm-125m.xlstm');
    expect([big.vocabSize, big.embeddingDim, big.numBlocks, big.contextLength, big.slstmAt]).toEqual([50257, 768, 24, 2048, [4, 12, 20]]);
    // "125M": within a percent
    expect(Math.abs(parameterCount(big) - 125e6) / 125e6).toBeLessThan(0.01);
  });
});
