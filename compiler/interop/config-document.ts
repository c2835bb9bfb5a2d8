/**
 * Where the model config sits in a config document. Besides a bare `xLSTMLMModelConfig` mapping, two
 * layouts from the official project are accepted: the golden case files (`official_config`) and
 * the `experiments/*.yaml` run files (`model:` next to `training:` and `dataset:`), whose
 * `${a.b.c}` OmegaConf interpolations into the rest of the file are resolved here.
 */

import { LM_MODEL_FIELDS } from './official-schema.js';
import { isMapping } from './read-fields.js';

export interface LocatedConfig {
  config: unknown;
  /** The config's path in the document ('' when the document is the config), for messages. */
  path: string;
}

const INTERPOLATION = /^\$\{([A-Za-z_][\w.]*)\}$/;
/** Interpolations may point at other interpolations; a cycle stops here and stays unresolved. */
const MAX_INTERPOLATION_DEPTH = 16;

function lookup(root: Record<string, unknown>, dotted: string): unknown {
  let node: unknown = root;
  for (const step of dotted.split('.')) {
    if (!isMapping(node) || !Object.hasOwn(node, step)) return undefined;
    node = node[step];
  }
  return node;
}

/**
 * Replaces every string that is exactly an absolute interpolation `${a.b.c}` with the value it names
 * in `root`. Anything else (relative `${.x}`, text around it, a missing target) is left as written,
 * so the type check reports it as an unresolved interpolation.
 */
export function resolveInterpolations(value: unknown, root: Record<string, unknown>, depth = 0): unknown {
  if (typeof value === 'string') {
    const m = INTERPOLATION.exec(value);
    if (m === null || depth >= MAX_INTERPOLATION_DEPTH) return value;
    const target = lookup(root, m[1]!);
    return target === undefined ? value : resolveInterpolations(target, root, depth + 1);
  }
  if (Array.isArray(value)) return value.map((v) => resolveInterpolations(v, root, depth));
  if (isMapping(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveInterpolations(v, root, depth)]));
  return value;
}

/** The model config of a parsed document: the document itself unless it is one of the wrapper layouts. */
export function locateModelConfig(doc: Record<string, unknown>): LocatedConfig {
  const isModelConfig = LM_MODEL_FIELDS.some((f) => Object.hasOwn(doc, f.name));
  if (!isModelConfig && isMapping(doc.official_config)) return { config: doc.official_config, path: 'official_config' };
  if (!isModelConfig && isMapping(doc.model)) return { config: resolveInterpolations(doc.model, doc), path: 'model' };
  return { config: doc, path: '' };
}
