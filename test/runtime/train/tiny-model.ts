/** Tiny models for training tests: checked from .xlstm text, small enough for the float64 reference. */
import { checkSource } from '../../../compiler/check/index.js';
import type { ModelSpec } from '../../../compiler/spec.js';

export function tinySource(o: { vocab?: number; tie?: boolean; name?: string } = {}): string {
  return `model ${o.name ?? 'Tiny'} {
  vocab ${o.vocab ?? 16}
  embed 8
  context 12
  blocks 2 slstm_at [1]
  tie_weights ${o.tie ?? false}
  mlstm { heads 2 conv1d 2 qkv_blocksize 2 round_to 8 }
  slstm { heads 2 conv1d 2 ffn { round_to 8 } }
  train { batch 2 seq_len 8 warmup 2 steps 6 lr 0.01 }
}
`;
}

export function tinySpec(o: { vocab?: number; tie?: boolean } = {}): ModelSpec {
  const result = checkSource(tinySource(o), 'tiny.xlstm');
  const spec = result.models[0];
  if (spec === undefined) throw new Error(`tiny test model does not check: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  return spec;
}
