import { gradInputKernels } from './grad-input.js';
import { gradWeightKernels } from './grad-weight.js';
import type { KernelSpec, KernelTarget } from './kernel.js';
import type { RowViewOptions } from './row-view.js';

/**
 * Backward of the official `LinearHeadwiseExpand` (block-diagonal: P blocks of b features,
 * out[p·b + o] = Σ_i W[p, o, i] · in[p·b + i] + bias), used by the mLSTM's q/k/v projections and the
 * sLSTM's four gate projections:
 *
 *   dx[r, p·b + i] (+)= Σ_o dy[r, p·b + o] · W[p, o, i]
 *   dw[p, o, i] (+)= Σ_r dy[r, p·b + o] · x[r, p·b + i],   db[p·b + o] (+)= Σ_r dy[r, p·b + o]
 *
 * dy, x and dx are row views, so the gradients are read and written where they live: dq/dk/dv inside
 * dqkv [rows, 3I] (offsets 0, I, 2I), x_m and dx_m inside proj_up's [rows, 2I], an sLSTM gate's
 * gradient inside the cell's [rows, 4E] input gradient. q and k both read c, so the second of them
 * accumulates into dc (`accumulate.dx`); likewise the sLSTM's gate pairs.
 *
 * Kernels: the weight gradient (rows split across dispatches under the loop cap), then dx.
 * Bindings: dy, x (views), w [P·b·b], dx (view), dw [P·b·b], db [P·b] with bias.
 */
export interface HeadwiseBackwardOptions {
  rows: number;
  blocks: number;
  blockSize: number;
  bias?: boolean;
  dy?: RowViewOptions;
  x?: RowViewOptions;
  dx?: RowViewOptions;
  accumulate?: { dx?: boolean; params?: boolean };
  name?: string;
  source?: string;
}

export function headwiseBackwardKernels(o: HeadwiseBackwardOptions, target: KernelTarget): KernelSpec[] {
  const { rows, blocks, blockSize } = o;
  for (const [dim, v] of Object.entries({ rows, blocks, blockSize })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`headwise backward: ${dim} must be a positive integer, got ${v}`);
  }
  const name = o.name ?? `headwise_backward_${rows}x${blocks}x${blockSize}`;
  const src = o.source !== undefined ? { source: o.source } : {};
  const shape = { rows, groups: blocks, outDim: blockSize, inDim: blockSize };
  return [
    ...gradWeightKernels(
      { ...shape, ...(o.dy ? { dy: o.dy } : {}), ...(o.x ? { x: o.x } : {}), bias: o.bias === true, accumulate: o.accumulate?.params === true, name: `${name}_dw`, ...src },
      target,
    ),
    ...gradInputKernels({ ...shape, ...(o.dy ? { dy: o.dy } : {}), ...(o.dx ? { dx: o.dx } : {}), accumulate: o.accumulate?.dx === true, name: `${name}_dx`, ...src }, target),
  ];
}
