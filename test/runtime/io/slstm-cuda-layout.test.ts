import { describe, expect, it } from 'vitest';
import {
  cudaBiasToVanilla,
  cudaKernelShape,
  cudaKernelToVanilla,
  vanillaBiasToCuda,
  vanillaKernelToCuda,
} from '../../../runtime/io/slstm-cuda-layout.js';
import { permute } from '../../helpers/permute.js';
import { createRng, randomNormal } from '../../helpers/random.js';

// The official conversions (xlstm/blocks/slstm/cell.py) start from the external layout
// kernel [NH, DH_in, 4, DH_out] and bias [NH, 4, DH]:
//   vanilla kernel = ext.permute(0, 2, 3, 1).reshape(NH, 4·DH, DH); cuda kernel = ext.reshape(NH, DH, 4·DH)
//   vanilla bias   = ext.permute(1, 0, 2).reshape(-1);               cuda bias   = ext.reshape(-1)
describe('sLSTM CUDA-backend layout', () => {
  const rng = createRng();
  const NH = 3;
  const DH = 5;
  const heads = { numHeads: NH, headDim: DH };

  it('converts the recurrent kernel both ways as the official ext2int functions lay it out', () => {
    const ext = randomNormal(rng, NH * DH * 4 * DH);
    const vanilla = permute(ext, [NH, DH, 4, DH], [0, 2, 3, 1]);
    expect(cudaKernelShape(heads)).toEqual([NH, DH, 4 * DH]);
    expect(cudaKernelToVanilla(heads, ext), `seed ${rng.seed}`).toEqual(vanilla);
    expect(vanillaKernelToCuda(heads, vanilla), `seed ${rng.seed}`).toEqual(ext);
  });

  it('converts the bias both ways as the official ext2int functions lay it out', () => {
    const ext = randomNormal(rng, NH * 4 * DH);
    const vanilla = permute(ext, [NH, 4, DH], [1, 0, 2]);
    expect(cudaBiasToVanilla(heads, ext), `seed ${rng.seed}`).toEqual(vanilla);
    expect(vanillaBiasToCuda(heads, vanilla), `seed ${rng.seed}`).toEqual(ext);
  });

  it('permutes by hand-checked positions on a 1-head example', () => {
    // one head, DH = 2: cuda kernel [1, 2, 8] row i = [i f z o] gates × 2 outputs; vanilla row g·2+o, column i
    const cuda = Float64Array.from({ length: 16 }, (_, k) => k);
    const vanilla = cudaKernelToVanilla({ numHeads: 1, headDim: 2 }, cuda);
    // vanilla[0, row=g·2+o, i] = cuda[0, i, g·2+o] = i·8 + g·2 + o
    expect([...vanilla]).toEqual([0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15]);
    // bias cuda (h, g, u) → vanilla g·E + h·DH + u; with 2 heads of 1 unit: cuda [h0: i f z o, h1: i f z o]
    expect([...cudaBiasToVanilla({ numHeads: 2, headDim: 1 }, Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7]))]).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
  });
});
