import type { Span } from '../../grammar/ast.js';
import type { TypedValue } from './coerce.js';
import { SCHEMA, type ScopeName } from './schema.js';

/** One key as written: where, and its checked value. */
export interface Setting {
  key: string;
  keySpan: Span;
  /** The value's span (for a key set through a call such as `adamw(lr: ..)`, the argument's). */
  span: Span;
  /** Undefined when the value had an error (already reported): rules that need it stay quiet. */
  value: TypedValue | undefined;
  /** Spans of list items or ratio sides, for diagnostics about one of them. */
  itemSpans?: Span[];
}

/** `ffn null`: the section is explicitly absent. */
export interface NullSection {
  kind: 'null';
  keySpan: Span;
  span: Span;
}

export interface BlockOverride {
  node: ConfigNode;
  /** The `N` of `block N`. */
  indexSpan: Span;
}

/**
 * A model body or section after evaluation: what was written (not the defaults), keyed by name.
 * Models merge these under `extends`, and per-block overrides merge onto the section templates.
 */
export interface ConfigNode {
  kind: 'node';
  scope: ScopeName;
  /** The whole model or section; a missing key or a default value is reported at `nameSpan`. */
  span: Span;
  nameSpan: Span;
  settings: Map<string, Setting>;
  sections: Map<string, ConfigNode | NullSection>;
  blocks: Map<number, BlockOverride>;
  /** A syntax error cost this body (or a base's) some statements: missing keys are then not reported. */
  incomplete?: boolean;
}

export function emptyNode(scope: ScopeName, span: Span, nameSpan: Span): ConfigNode {
  return { kind: 'node', scope, span, nameSpan, settings: new Map(), sections: new Map(), blocks: new Map() };
}

/**
 * `derived` written on top of `base`: keys override, sections merge key by key, `key null`
 * replaces a section, and setting one key of a group (ratio / slstm_at) drops the others.
 */
export function mergeNodes(base: ConfigNode, derived: ConfigNode): ConfigNode {
  const keys = SCHEMA[derived.scope].keys;
  const derivedGroups = new Set([...derived.settings.keys()].map((k) => keys[k]?.group));
  const settings = new Map([...base.settings].filter(([k]) => keys[k]?.group === undefined || !derivedGroups.has(keys[k]?.group)));
  for (const [k, s] of derived.settings) settings.set(k, s);
  const sections = new Map(base.sections);
  for (const [k, s] of derived.sections) {
    const b = base.sections.get(k);
    sections.set(k, s.kind === 'node' && b?.kind === 'node' ? mergeNodes(b, s) : s);
  }
  const blocks = new Map(base.blocks);
  for (const [i, o] of derived.blocks) {
    const b = base.blocks.get(i);
    blocks.set(i, b === undefined ? o : { node: mergeNodes(b.node, o.node), indexSpan: o.indexSpan });
  }
  const merged: ConfigNode = { kind: 'node', scope: derived.scope, span: derived.span, nameSpan: derived.nameSpan, settings, sections, blocks };
  if (base.incomplete || derived.incomplete) merged.incomplete = true;
  return merged;
}

/** Whether any written key (in any section or block override) had an error: such a model cannot be resolved. */
export function hasInvalidSetting(node: ConfigNode): boolean {
  if ([...node.settings.values()].some((s) => s.value === undefined)) return true;
  for (const s of node.sections.values()) if (s.kind === 'node' && hasInvalidSetting(s)) return true;
  return [...node.blocks.values()].some((b) => hasInvalidSetting(b.node));
}
