import type { Span } from '../../grammar/ast.js';
import type { TypedValue } from './coerce.js';
import type { ConfigNode } from './config-node.js';
import { SCHEMA, type ScopeName } from './schema.js';

/** A key's effective value: written (`set`) or the default, and where to point when it is wrong. */
export interface Field<T> {
  value: T;
  /** The written value's span; for a default, the section (or model) name. */
  span: Span;
  set: boolean;
}

/**
 * Read access to one scope of a model with the schema's defaults filled in. A key whose written
 * value had an error, or a required key that is missing, reads as undefined: checks that need it
 * skip, so one mistake is reported once.
 */
export class SectionView {
  constructor(
    readonly scope: ScopeName,
    readonly node: ConfigNode,
    /** Values of other keys that defaults may come from (`seq_len` defaults to the model's `context`). */
    private readonly derivedDefaults: Readonly<Record<string, number | undefined>> = {},
  ) {}

  get(key: string): Field<TypedValue> | undefined {
    const s = this.node.settings.get(key);
    if (s !== undefined) return s.value === undefined ? undefined : { value: s.value, span: s.span, set: true };
    const schema = SCHEMA[this.scope].keys[key];
    if (schema === undefined) throw new Error(`internal: no key ${key} in scope ${this.scope}`);
    const fallback = schema.defaultFrom !== undefined ? this.derivedDefaults[schema.defaultFrom] : (schema.default as TypedValue | undefined);
    return fallback === undefined ? undefined : { value: fallback, span: this.node.nameSpan, set: false };
  }

  num(key: string): Field<number> | undefined {
    const f = this.get(key);
    return f !== undefined && typeof f.value === 'number' ? (f as Field<number>) : undefined;
  }

  /** For nullable numbers (`clip null`): null when written so. */
  numOrNull(key: string): Field<number | null> | undefined {
    const f = this.get(key);
    return f !== undefined && (typeof f.value === 'number' || f.value === null) ? (f as Field<number | null>) : undefined;
  }

  bool(key: string): Field<boolean> | undefined {
    const f = this.get(key);
    return f !== undefined && typeof f.value === 'boolean' ? (f as Field<boolean>) : undefined;
  }

  str(key: string): Field<string> | undefined {
    const f = this.get(key);
    return f !== undefined && typeof f.value === 'string' ? (f as Field<string>) : undefined;
  }

  isSet(key: string): boolean {
    return this.node.settings.has(key);
  }

  /** Spans of a written list's items or a ratio's sides. */
  itemSpans(key: string): Span[] | undefined {
    return this.node.settings.get(key)?.itemSpans;
  }
}

/** The most specific place to blame among several fields: the first one the user wrote. */
export function blame(...fields: (Field<unknown> | undefined)[]): Span | undefined {
  return (fields.find((f) => f?.set) ?? fields.find((f) => f !== undefined))?.span;
}
