import type { Expr } from './ast.js';

/*
 * One-line canonical text of expressions: single spaces around binary operators, none around `:`
 * in ratios and none around `//` (which the lexer reads as floor division only when glued to its
 * operands), `, ` between items, and only the parentheses that precedence needs.
 */

const RATIO = 1;
const UNARY = 4;
const POWER = 5;
const ATOM = 6;
const BINARY_LEVEL: Record<string, number> = { '+': 2, '-': 2, '*': 3, '/': 3, '//': 3, '%': 3, '**': POWER };

export function exprText(e: Expr, minLevel = 0): string {
  const [text, level] = textAndLevel(e);
  return level < minLevel ? `(${text})` : text;
}

function textAndLevel(e: Expr): [string, number] {
  switch (e.kind) {
    case 'int':
    case 'float':
      return [e.text, ATOM];
    case 'bool':
      return [String(e.value), ATOM];
    case 'null':
      return ['null', ATOM];
    case 'string':
      return [quote(e.value), ATOM];
    case 'ident':
      return [e.name, ATOM];
    case 'unary': {
      const operand = exprText(e.operand, UNARY);
      const gap = e.op === 'not' || /^[-+]/.test(operand) ? ' ' : '';
      return [`${e.op}${gap}${operand}`, UNARY];
    }
    case 'binary': {
      const level = BINARY_LEVEL[e.op] ?? ATOM;
      // `**` is right-associative and its left operand may not carry a prefix: `(-a) ** b`
      const left = exprText(e.left, e.op === '**' ? ATOM : level);
      const right = exprText(e.right, e.op === '**' ? UNARY : level + 1);
      return [e.op === '//' ? `${left}//${right}` : `${left} ${e.op} ${right}`, level];
    }
    case 'ratio':
      return [`${exprText(e.left, RATIO + 1)}:${exprText(e.right, RATIO + 1)}`, RATIO];
    case 'list':
      return [`[${e.items.map((i) => exprText(i)).join(', ')}]`, ATOM];
    case 'tuple':
      return [`(${e.items.map((i) => exprText(i)).join(', ')}${e.items.length === 1 ? ',' : ''})`, ATOM];
    case 'call':
      return [`${e.callee.text}(${e.args.map((a) => (a.name === undefined ? positionalText(a.value) : `${a.name.text}: ${exprText(a.value)}`)).join(', ')})`, ATOM];
  }
}

/** A positional call argument: a ratio starting with a name would read back as a named argument, so `f((a:b))`. */
export function positionalText(value: Expr): string {
  return value.kind === 'ratio' && value.left.kind === 'ident' ? `(${exprText(value)})` : exprText(value);
}

export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
