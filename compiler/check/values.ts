import type { Name, Span } from '../../grammar/ast.js';
import type { Scope } from './scope.js';

/**
 * The value of an expression after constant evaluation, still untyped with respect to the key it
 * is assigned to (that is `coerce.ts`). Every value keeps the span of the expression that wrote it
 * (for a `let` reference: the use site), so a type error points where the user looks.
 */
export type Value =
  | { type: 'int'; value: number; span: Span }
  /** `inexact`: set by an int `/` that did not divide; the hint to give where an int is required. */
  | { type: 'float'; value: number; span: Span; inexact?: string }
  | { type: 'bool'; value: boolean; span: Span }
  | { type: 'string'; value: string; span: Span }
  /** An identifier no `let` defines: an enum value, or an undefined name (decided by the key's type). */
  | { type: 'ident'; name: string; span: Span; scope: Scope }
  | { type: 'list'; items: Value[]; span: Span }
  | { type: 'tuple'; items: Value[]; span: Span }
  | { type: 'ratio'; left: Value; right: Value; span: Span }
  | { type: 'call'; callee: Name; args: CallArgValue[]; span: Span }
  | { type: 'null'; span: Span };

export interface CallArgValue {
  name?: Name;
  value: Value;
  span: Span;
}

/** Decimal text of a float that always reads as a float (`2.0`, not `2`). */
export function formatFloat(x: number): string {
  return Number.isInteger(x) && Math.abs(x) < 1e21 ? x.toFixed(1) : String(x);
}

/** How a value reads in a message: its source-like text, shortened. */
export function showValue(v: Value): string {
  const text = showFull(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function showFull(v: Value): string {
  switch (v.type) {
    case 'int':
      return String(v.value);
    case 'float':
      return formatFloat(v.value);
    case 'bool':
      return String(v.value);
    case 'string':
      return JSON.stringify(v.value);
    case 'ident':
      return v.name;
    case 'list':
      return `[${v.items.map(showFull).join(', ')}]`;
    case 'tuple':
      return `(${v.items.map(showFull).join(', ')})`;
    case 'ratio':
      return `${showFull(v.left)}:${showFull(v.right)}`;
    case 'call':
      return `${v.callee.text}(${v.args.map((a) => (a.name ? `${a.name.text}: ` : '') + showFull(a.value)).join(', ')})`;
    case 'null':
      return 'null';
  }
}

/** The type name used in messages ("expected an int, got a list"). */
export function typeName(v: Value): string {
  switch (v.type) {
    case 'int':
      return 'an int';
    case 'float':
      return 'a float';
    case 'bool':
      return 'a bool';
    case 'string':
      return 'a string';
    case 'ident':
      return 'an identifier';
    case 'list':
      return 'a list';
    case 'tuple':
      return 'a tuple';
    case 'ratio':
      return 'a ratio';
    case 'call':
      return 'a call';
    case 'null':
      return 'null';
  }
}

/** The same value seen from another place (a `let` used elsewhere reports at the use site). */
export function relocate(v: Value, span: Span): Value {
  return { ...v, span };
}
