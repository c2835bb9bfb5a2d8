import type { Span } from '../../grammar/ast.js';
import { emptyNode, mergeNodes, type ConfigNode } from './config-node.js';
import type { Ratio } from './coerce.js';
import { ratioPlacement } from './placement.js';
import type { ScopeName } from './schema.js';
import { SectionView } from './section-view.js';

/** The layer settings of one block kind: a template section, or a template merged with a `block N` override. */
export interface LayerViews {
  /** `mlstm { }` / `slstm { }` (defaults filled in). */
  layer: SectionView;
  /** The sLSTM feed-forward; null for `ffn null` (and for mLSTM layers). */
  ffn: SectionView | null;
  /** The sLSTM `cuda { }` fields (defaults for mLSTM layers, which have none). */
  cuda: SectionView;
}

/** Every scope of one (merged) model, with defaults: what the rules and the resolver read. */
export interface ModelViews {
  node: ConfigNode;
  model: SectionView;
  mlstm: LayerViews;
  slstm: LayerViews;
  /** Whether the model (or a base) writes the section: its template is then reported even without blocks of its kind. */
  written: { mlstm: boolean; slstm: boolean };
  train: SectionView;
}

function sectionNode(parent: ConfigNode, key: string, scope: ScopeName): ConfigNode | null {
  const s = parent.sections.get(key);
  if (s === undefined) return emptyNode(scope, parent.nameSpan, parent.nameSpan);
  return s.kind === 'null' ? null : s;
}

function layerViews(layer: ConfigNode): LayerViews {
  const ffn = sectionNode(layer, 'ffn', 'ffn');
  return {
    layer: new SectionView(layer.scope, layer),
    ffn: ffn === null ? null : new SectionView('ffn', ffn),
    cuda: new SectionView('cuda', sectionNode(layer, 'cuda', 'cuda')!),
  };
}

export function modelViews(node: ConfigNode): ModelViews {
  const model = new SectionView('model', node);
  const context = model.num('context')?.value;
  return {
    node,
    model,
    mlstm: layerViews(sectionNode(node, 'mlstm', 'mlstm')!),
    slstm: layerViews(sectionNode(node, 'slstm', 'slstm')!),
    written: { mlstm: node.sections.has('mlstm'), slstm: node.sections.has('slstm') },
    train: new SectionView('train', sectionNode(node, 'train', 'train')!, { context }),
  };
}

/** The layer settings of block `index` of kind `kind` with its override (if any) applied. */
export function blockLayerViews(views: ModelViews, kind: 'mlstm' | 'slstm', override: ConfigNode | undefined): LayerViews {
  const template = views[kind].layer.node;
  const own = override?.sections.get(kind);
  return own === undefined || own.kind === 'null' ? views[kind] : layerViews(mergeNodes(template, own));
}

/**
 * The sorted sLSTM positions, or undefined when they cannot be known (blocks or the placement
 * key is invalid; the rules report why). Positions out of range are dropped here; rules report them.
 */
export function slstmPositions(views: ModelViews): number[] | undefined {
  const blocks = views.model.num('blocks')?.value;
  if (blocks === undefined) return undefined;
  const ratio = views.model.get('ratio');
  if (views.model.isSet('ratio')) return ratio === undefined ? undefined : ratioPlacement(blocks, ratio.value as Ratio);
  const at = views.model.get('slstm_at');
  if (at === undefined) return undefined;
  if (at.value === 'all') return Array.from({ length: blocks }, (_, i) => i);
  const inRange = (at.value as readonly number[]).filter((i) => i >= 0 && i < blocks);
  return [...new Set(inRange)].sort((a, b) => a - b);
}

/** Where a block override for `index` is written, if there is one. */
export function overrideSpan(views: ModelViews, index: number): Span | undefined {
  return views.node.blocks.get(index)?.indexSpan;
}
