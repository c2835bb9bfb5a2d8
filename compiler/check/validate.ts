import type { ConfigNode } from './config-node.js';
import type { Report } from './issues.js';
import { blockLayerViews, modelViews, slstmPositions, type LayerViews, type ModelViews } from './model-views.js';
import { BLOCK_CHECKS } from './rules/block-rules.js';
import type { Check, LayerTarget, ModelTarget } from './rules/check.js';
import { MLSTM_CHECKS } from './rules/mlstm-rules.js';
import { MODEL_CHECKS } from './rules/model-rules.js';
import { PLACEMENT_CHECKS } from './rules/placement-rules.js';
import { FFN_CHECKS, SLSTM_CHECKS } from './rules/slstm-rules.js';
import { TRAIN_CHECKS } from './rules/train-rules.js';

/**
 * The validator map (Langium style): for each kind of node, the small checks that run on it. Each
 * check reports through one `report`; codes are in issues.ts. A `block N` override's layer is
 * checked with the same layer checks, on the template merged with the override.
 */
export const CHECKS: {
  readonly model: readonly Check<ModelTarget>[];
  readonly mlstm: readonly Check<LayerTarget>[];
  readonly slstm: readonly Check<LayerTarget>[];
  readonly ffn: readonly Check<LayerTarget>[];
} = {
  model: [...MODEL_CHECKS, ...PLACEMENT_CHECKS, ...BLOCK_CHECKS, ...TRAIN_CHECKS],
  mlstm: MLSTM_CHECKS,
  slstm: SLSTM_CHECKS,
  ffn: FFN_CHECKS,
};

export interface ValidatedModel {
  views: ModelViews;
  /** Sorted sLSTM positions; undefined when they cannot be known. */
  positions: number[] | undefined;
  /** The effective layer settings of every block that has an override. */
  overrides: Map<number, LayerViews>;
  /** Whether the model has a block of each kind (false when unknown). */
  has: { mlstm: boolean; slstm: boolean };
}

export function validateModel(node: ConfigNode, report: Report): ValidatedModel {
  const views = modelViews(node);
  const positions = slstmPositions(views);
  const blocks = views.model.num('blocks')?.value;
  const known = positions !== undefined && blocks !== undefined;
  const has = { mlstm: known && positions.length < blocks, slstm: known && positions.length > 0 };
  for (const check of CHECKS.model) check({ views, positions }, report);
  const embed = views.model.num('embed');
  const checkLayer = (kind: 'mlstm' | 'slstm', layer: LayerViews): void => {
    const target: LayerTarget = { ...layer, model: views.model, embed };
    for (const check of CHECKS[kind]) check(target, report);
    if (kind === 'slstm') for (const check of CHECKS.ffn) check(target, report);
  };
  for (const kind of ['mlstm', 'slstm'] as const) {
    if (views.written[kind] || has[kind]) checkLayer(kind, views[kind]);
  }
  const overrides = new Map<number, LayerViews>();
  if (known) {
    for (const [index, o] of node.blocks) {
      if (index >= blocks) continue;
      const kind = positions.includes(index) ? 'slstm' : 'mlstm';
      const layer = blockLayerViews(views, kind, o.node);
      overrides.set(index, layer);
      checkLayer(kind, layer);
    }
  }
  return { views, positions, overrides, has };
}
