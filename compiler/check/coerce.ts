import type { Span } from '../../grammar/ast.js';
import { intHint, reportUndefined } from './evaluate.js';
import { ISSUES, type Report } from './issues.js';
import { scopesWithKey, type KeySchema, type NumberRange, type ValueType } from './schema.js';
import { didYouMean, joinHints, listWords } from './suggest.js';
import { formatFloat, showValue, typeName, type CallArgValue, type Value } from './values.js';

/** `a:b` as written: a mLSTM blocks for every b sLSTM blocks. */
export interface Ratio {
  mlstm: number;
  slstm: number;
}

/** A value after checking it against its key's type: plain data the rules and the resolver read. */
export type TypedValue = number | boolean | string | null | readonly number[] | Ratio;

export interface Coerced {
  value: TypedValue;
  /** Spans of list items (slstm_at positions) and of a ratio's two sides. */
  itemSpans?: Span[];
  /** Arguments of a call form (`adamw(lr: 1e-3)`), each to be set as the key it names. */
  callArgs?: CallArgValue[];
}

/** Checks `v` against the type of key `key`; reports and returns undefined when it does not fit. */
export function coerce(v: Value, key: string, schema: KeySchema, report: Report): Coerced | undefined {
  if (v.type === 'null') {
    if (schema.nullable) return { value: null };
    report(ISSUES.typeMismatch, `\`${key}\` cannot be null`, v.span, `it takes ${describeType(schema.type)}`);
    return undefined;
  }
  return coerceTo(v, key, schema.type, report);
}

function coerceTo(v: Value, key: string, type: ValueType, report: Report): Coerced | undefined {
  switch (type.kind) {
    case 'int':
    case 'float': {
      const n = numberOf(v, key, type.kind, report);
      return n === undefined || !inRange(n, v.span, key, type.range, report) ? undefined : { value: n };
    }
    case 'bool':
      if (v.type === 'bool') return { value: v.value };
      return mismatch(v, key, type, report, v.type === 'ident' ? didYouMean(v.name, ['true', 'false']) : undefined);
    case 'string':
      return v.type === 'string' ? { value: v.value } : mismatch(v, key, type, report);
    case 'enum':
      return coerceEnum(v, key, type, report);
    case 'int-list':
      return coerceIntList(v, key, type.orAll === true, report);
    case 'ratio': {
      if (v.type !== 'ratio') return mismatch(v, key, type, report, v.type === 'int' ? `write \`${v.value}:1\`` : undefined);
      const a = numberOf(v.left, `${key} (mLSTM side)`, 'int', report);
      const b = numberOf(v.right, `${key} (sLSTM side)`, 'int', report);
      return a === undefined || b === undefined ? undefined : { value: { mlstm: a, slstm: b }, itemSpans: [v.left.span, v.right.span] };
    }
    case 'float-pair': {
      if ((v.type !== 'tuple' && v.type !== 'list') || v.items.length !== 2) return mismatch(v, key, type, report);
      const items = v.items.map((item) => numberOf(item, key, 'float', report));
      if (items.some((n, i) => n === undefined || !inRange(n, v.items[i]!.span, key, type.range, report))) return undefined;
      return { value: items as number[] };
    }
  }
}

function mismatch(v: Value, key: string, type: ValueType, report: Report, hint?: string): undefined {
  if (v.type === 'ident' && type.kind !== 'bool' && type.kind !== 'enum') {
    // `embed` followed by `context 16` on the next line reads as `embed context`: say so
    const lostValue = scopesWithKey(v.name).length > 0 ? `\`${v.name}\` is a key: does \`${key}\` lack its value?` : undefined;
    reportUndefined(v.name, v.span, v.scope, report, lostValue);
    return undefined;
  }
  report(ISSUES.typeMismatch, `\`${key}\` expects ${describeType(type)}, got ${typeName(v)} \`${showValue(v)}\``, v.span, hint);
  return undefined;
}

function numberOf(v: Value, key: string, kind: 'int' | 'float', report: Report): number | undefined {
  if (v.type === 'int') return v.value;
  if (v.type === 'float') {
    if (kind === 'float') return v.value;
    report(ISSUES.notAnInt, `\`${key}\` expects an int, got float ${formatFloat(v.value)}`, v.span, intHint(v));
    return undefined;
  }
  return mismatch(v, key, { kind }, report);
}

function inRange(n: number, span: Span, key: string, r: NumberRange | undefined, report: Report): boolean {
  if (r === undefined) return true;
  const belowMin = r.min !== undefined && (r.minExclusive ? n <= r.min : n < r.min);
  const aboveMax = r.max !== undefined && (r.maxExclusive ? n >= r.max : n > r.max);
  if (!belowMin && !aboveMax) return true;
  report(ISSUES.outOfRange, `\`${key}\` must be ${describeRange(r)}, got ${n}`, span);
  return false;
}

export function describeRange(r: NumberRange): string {
  const lo = r.min === undefined ? undefined : r.minExclusive ? `> ${r.min}` : `≥ ${r.min}`;
  const hi = r.max === undefined ? undefined : r.maxExclusive ? `< ${r.max}` : `≤ ${r.max}`;
  if (lo !== undefined && hi !== undefined) return `in [${r.min}, ${r.max}${r.maxExclusive ? ')' : ']'}`;
  return lo ?? hi ?? 'a number';
}

function coerceEnum(v: Value, key: string, type: Extract<ValueType, { kind: 'enum' }>, report: Report): Coerced | undefined {
  const spelled = v.type === 'ident' ? v.name : v.type === 'string' ? v.value : undefined;
  if (spelled !== undefined) {
    const canonical = type.values.includes(spelled) ? spelled : type.aliases?.[spelled];
    if (canonical !== undefined) return { value: canonical };
    const suggestion = didYouMean(spelled, [...type.values, ...Object.keys(type.aliases ?? {})]);
    const fromScope = v.type === 'ident' && suggestion === undefined ? didYouMean(spelled, v.scope.names()) : undefined;
    report(
      ISSUES.unknownEnumValue,
      `unknown ${type.name} \`${spelled}\``,
      v.span,
      joinHints(suggestion ?? fromScope, `\`${key}\` takes ${listWords(type.values)}`),
    );
    return undefined;
  }
  if (v.type === 'call' && type.callParams !== undefined) {
    if (type.values.includes(v.callee.text)) return { value: v.callee.text, callArgs: v.args };
    report(ISSUES.badCall, `unknown ${type.name} \`${v.callee.text}(...)\``, v.callee.span, joinHints(didYouMean(v.callee.text, type.values), `\`${key}\` takes ${listWords(type.values)}`));
    return undefined;
  }
  return mismatch(v, key, type, report);
}

function coerceIntList(v: Value, key: string, orAll: boolean, report: Report): Coerced | undefined {
  if (orAll && v.type === 'ident' && v.name === 'all') return { value: 'all' };
  if (v.type !== 'list') {
    const hint = v.type === 'int' ? `write \`[${v.value}]\`` : v.type === 'ident' && orAll ? didYouMean(v.name, ['all']) : undefined;
    return mismatch(v, key, { kind: 'int-list', orAll }, report, hint);
  }
  const items = v.items.map((item) => numberOf(item, `${key} item`, 'int', report));
  if (items.some((n) => n === undefined)) return undefined;
  return { value: items as number[], itemSpans: v.items.map((i) => i.span) };
}

export function describeType(t: ValueType): string {
  switch (t.kind) {
    case 'int':
      return t.range ? `an int ${describeRange(t.range)}` : 'an int';
    case 'float':
      return t.range ? `a number ${describeRange(t.range)}` : 'a number';
    case 'bool':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'enum':
      return `one of ${listWords(t.values)}`;
    case 'int-list':
      return t.orAll ? 'a list of ints like [1, 3], or `all`' : 'a list of ints';
    case 'ratio':
      return 'a ratio a:b like 7:1';
    case 'float-pair':
      return 'a pair of numbers like (0.9, 0.95)';
  }
}
