import { dot, headSlice, type MlstmDims, type MlstmInputs } from '../../../runtime/reference/ops/mlstm-heads.js';
import { decayMatrix } from '../../../runtime/reference/ops/mlstm-parallel.js';

/**
 * Whether random mLSTM inputs sit within f32 rounding of a kink of the parallel cell's gradient,
 * where an f32 kernel may legitimately take the other branch than the float64 reference:
 *   - |Z_t| ≈ e^{−m_t} (which side of the normaliser's max wins), or
 *   - where the floor e^{−m_t} wins, two keys nearly tie for the row maximum (the gradient of m_t
 *     goes to the first maximiser, an O(1) jump between two columns of dĩ).
 * Tests redraw such inputs: the kernels are compared with the reference away from the kinks.
 */
export function nearGradientKink(x: MlstmInputs, dims: MlstmDims, tolerance = 1e-4): boolean {
  const { batch, heads, time: T, headDim: DH } = dims;
  const scale = 1 / Math.sqrt(DH);
  for (let b = 0; b < batch; b++) {
    for (let hd = 0; hd < heads; hd++) {
      const head = headSlice(x, dims, b, hd);
      const decay = decayMatrix(head.igate, head.fgate);
      for (let t = 0; t < T; t++) {
        const m = decay.rowMax[t]!;
        let z = 0;
        let magnitude = 0;
        let second = -Infinity;
        for (let s = 0; s <= t; s++) {
          const d = decay.d[t * T + s]!;
          const c = dot(head.q, t * DH, head.k, s * DH, DH) * scale * Math.exp(d - m);
          z += c;
          magnitude += Math.abs(c);
          if (s !== decay.argMax[t]) second = Math.max(second, d);
        }
        const floor = Math.exp(-m);
        if (Math.abs(Math.abs(z) - floor) < tolerance * (magnitude + floor)) return true;
        if (Math.abs(z) < floor && m - second < tolerance * (1 + Math.abs(m))) return true;
      }
    }
  }
  return false;
}
