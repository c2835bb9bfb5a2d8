import type { Field, SectionView } from '../section-view.js';
import type { LayerViews, ModelViews } from '../model-views.js';
import type { Report } from '../issues.js';

/** A layer as the layer rules see it: its settings and the model it sits in. */
export interface LayerTarget extends LayerViews {
  model: SectionView;
  embed: Field<number> | undefined;
}

/** A model as the model-wide rules see it. */
export interface ModelTarget {
  views: ModelViews;
  /** Sorted sLSTM positions; undefined when blocks or the placement is invalid. */
  positions: number[] | undefined;
}

/** One small rule: it looks at its target and reports through `report` (Langium's `accept`). */
export type Check<T> = (target: T, report: Report) => void;
