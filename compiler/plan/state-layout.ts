import type { ModelSpec } from '../spec.js';

/**
 * The recurrent state of a model, per block, in the layouts the kernels keep it in (those of the
 * official step API): mLSTM C [B, NH, DH(key), DH(value)], n [B, NH, DH], m [B, NH]; sLSTM
 * (y, c, n, m) stacked as [4, B, E]; the conv window [B, K, C] (last K inputs, oldest first).
 * The conv kernel reads one window and writes another, so a conv state is a pair of buffers that
 * swap roles after each run (`pingPong`).
 */
export type StatePart = 'mlstm.C' | 'mlstm.n' | 'mlstm.m' | 'slstm' | 'conv';

export interface StateTensorSpec {
  /** e.g. `block.0.mlstm.C`. */
  name: string;
  block: number;
  part: StatePart;
  shape: number[];
  elements: number;
  pingPong: boolean;
}

export function stateTensors(spec: ModelSpec, batch: number): StateTensorSpec[] {
  const out: StateTensorSpec[] = [];
  const add = (block: number, part: StatePart, shape: number[]) =>
    out.push({ name: `block.${block}.${part}`, block, part, shape, elements: shape.reduce((a, b) => a * b, 1), pingPong: part === 'conv' });
  for (const b of spec.blocks) {
    if (b.kind === 'mlstm') {
      add(b.index, 'mlstm.C', [batch, b.numHeads, b.headDim, b.headDim]);
      add(b.index, 'mlstm.n', [batch, b.numHeads, b.headDim]);
      add(b.index, 'mlstm.m', [batch, b.numHeads]);
      if (b.convKernel > 0) add(b.index, 'conv', [batch, b.convKernel, b.innerDim]);
    } else {
      add(b.index, 'slstm', [4, batch, spec.embeddingDim]);
      if (b.convKernel > 0) add(b.index, 'conv', [batch, b.convKernel, spec.embeddingDim]);
    }
  }
  return out;
}

/** Which of a ping-pong pair a plan means: the state read at the start, or the one written. */
export type StateSide = 'in' | 'out';

/** The plan's buffer name for a state tensor (with its side for ping-pong pairs). */
export function stateBufferName(tensor: string, side?: StateSide): string {
  return side === undefined ? `state:${tensor}` : `state:${tensor}:${side}`;
}

/** The state tensor and side a plan buffer name refers to, or undefined for other buffers. */
export function parseStateBufferName(name: string): { tensor: string; side?: StateSide } | undefined {
  const m = /^state:([^:]+)(?::(in|out))?$/.exec(name);
  if (m === null) return undefined;
  return m[2] === undefined ? { tensor: m[1]! } : { tensor: m[1]!, side: m[2] as StateSide };
}
