import { EMBEDDING_NAME, LM_HEAD_NAME } from '../params.js';

/**
 * What each axis of an official parameter means, keyed by the end of its state_dict name. Kept next
 * to the IR because kernel authors read it there (`xlstm compile --emit ir`); the facts are those of
 * golden/README.md, "Parameter names".
 */
const LAYOUTS: readonly (readonly [RegExp, string])[] = [
  [/(^|\.)(xlstm_norm|ffn_norm|post_blocks_norm)\.weight$/, '[features]; offset: scale = 1 + w'],
  [/\.(outnorm|group_norm)\.weight$/, '[NH·DH] head-major; offset: scale = 1 + w'],
  [/\.learnable_skip$/, '[I]; per-feature weight of the conv-branch skip'],
  [/\.xlstm\.proj_up\.weight$/, '[2I, E] = [out, in]; rows 0..I-1 -> x_m, rows I..2I-1 -> z'],
  [/\.ffn\.proj_up\.weight$/, '[2F, E] = [out, in]; rows 0..F-1 -> activated gate, rows F..2F-1 -> value'],
  [/\.proj_down\.weight$/, '[E, in] = [out, in]'],
  [/\.proj_(up|down)\.bias$/, '[out]'],
  [/\.[qkv]_proj\.weight$/, '[block, out, in]; block-diagonal over consecutive feature blocks'],
  [/\.[qkv]_proj\.bias$/, '[I]'],
  [/\.conv1d\.conv\.weight$/, '[C, 1, K]; depthwise, tap K-1 multiplies the current step'],
  [/\.conv1d\.conv\.bias$/, '[C]'],
  [/\.mlstm_cell\.[if]gate\.weight$/, '[NH, 3I]; input columns [q | k | v]'],
  [/\.mlstm_cell\.[if]gate\.bias$/, '[NH]'],
  [/\.xlstm\.fgate\.weight$/, '[head, out, in]; block-diagonal; feeds the INPUT gate (official swap)'],
  [/\.xlstm\.igate\.weight$/, '[head, out, in]; block-diagonal; feeds the FORGET gate (official swap)'],
  [/\.xlstm\.[zo]gate\.weight$/, '[head, out, in]; block-diagonal'],
  [/\._recurrent_kernel_$/, '[head, gate·DH + out unit, in unit], gates i,f,z,o (vanilla layout)'],
  [/\._bias_$/, '[gate·E + head·DH + unit], gates i,f,z,o (vanilla layout)'],
];

export function parameterLayout(name: string, tiedTo?: string): string {
  if (name === EMBEDDING_NAME) return '[V, E]; row v is token v';
  if (name === LM_HEAD_NAME) return tiedTo === undefined ? '[V, E] = [out, in]' : `[V, E]; the same tensor as ${tiedTo}`;
  const hit = LAYOUTS.find(([pattern]) => pattern.test(name));
  if (hit === undefined) throw new Error(`no layout note for parameter ${name}`);
  return hit[1];
}
