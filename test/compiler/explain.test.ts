import { describe, expect, it } from 'vitest';
import { explainModel, explainModelJson } from '../../compiler/explain.js';
import { specOf } from './check/check-helpers.js';

const HEAD = 'vocab 32 embed 32 context 16 blocks 1';

describe('explain', () => {
  it('counts an mLSTM block by hand: parameters, FLOPs per token, state', () => {
    const x = explainModelJson(specOf(`model M { ${HEAD} }`));
    // E 32, I 64, NH 4, DH 16, qkv 16 blocks of 4, K 4, T 16, V 32
    // params: norm 32 + skip 64 + proj_up 128·32 + q/k/v 3·16·4·4 + conv 64·4 + 64 + gates 2·(4·192 + 4) + outnorm 64 + proj_down 32·64
    const block = 32 + 64 + 128 * 32 + 3 * 16 * 16 + 64 * 4 + 64 + 2 * (4 * 192 + 4) + 64 + 32 * 64;
    expect(x.blocks[0]!.parameters).toBe(block);
    expect(x.parameters).toBe(block + 32 + 2 * 32 * 32);
    // FLOPs: proj_up 2·32·128, conv 2·4·64, q/k/v 3·2·64·4, gates 2·(2·192·4), cell 2·(2·16·64), proj_down 2·64·32, head 2·32·32
    const flops = 2 * 32 * 128 + 2 * 4 * 64 + 3 * 2 * 64 * 4 + 2 * (2 * 192 * 4) + 2 * (2 * 16 * 64) + 2 * 64 * 32;
    expect(x.blocks[0]!.flopsPerToken).toBe(flops);
    expect(x.lmHeadFlopsPerToken).toBe(2 * 32 * 32);
    expect(x.flopsPerToken).toBe(flops + 2 * 32 * 32);
    // state: C 4·16·16 + n 4·16 + m 4 + conv 4·64
    expect(x.stateFloats).toBe(1024 + 64 + 4 + 256);
    expect(x.stateBytesF32).toBe(4 * (1024 + 64 + 4 + 256));
  });

  it('counts an sLSTM block by hand', () => {
    const x = explainModelJson(specOf(`model S { ${HEAD} slstm_at [0] }`));
    // NH 4, DH 8, K 4, F = 64: conv 2·4·32, gates 4·2·32·8, recurrent 2·32·4·8, FFN 2·32·128 + 2·64·32
    expect(x.blocks[0]!.flopsPerToken).toBe(2 * 4 * 32 + 4 * 2 * 32 * 8 + 2 * 32 * 4 * 8 + 2 * 32 * 128 + 2 * 64 * 32);
    // y, c, n, m and the conv's last 4 inputs
    expect(x.stateFloats).toBe(4 * 32 + 4 * 32);
    const noConv = explainModelJson(specOf(`model S { ${HEAD} slstm_at [0] slstm { conv1d 0 } }`));
    expect(noConv.stateFloats).toBe(4 * 32);
  });

  it('prints every block with its dims and the totals', () => {
    const text = explainModel(specOf('model Two { vocab 32 embed 32 context 16 blocks 2 slstm_at [1] tie_weights true }'));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^model Two {2}\(main\.xlstm:1:1\)$/);
    expect(text).toContain('2 blocks: m s (sLSTM at [1])');
    expect(lines.find((l) => /^\s+0\s+mLSTM/.test(l))).toContain('heads 4×16, I 64 (2·32 ↑64), qkv 16 blocks of 4, conv 4');
    expect(lines.find((l) => /^\s+1\s+sLSTM/.test(l))).toContain('heads 4×8, conv 4, bias powerlaw_blockdependent, R zeros, ffn gelu F 64');
    expect(text).toMatch(/parameters\s+[\d,]+ \(LM head tied to the embedding\)/);
    expect(text).toContain('norm_eps 1e-5');
  });
});
