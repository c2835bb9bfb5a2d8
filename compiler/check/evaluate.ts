import type { Expr, Span } from '../../grammar/ast.js';
import { ISSUES, type Report } from './issues.js';
import type { Scope } from './scope.js';
import { didYouMean, joinHints } from './suggest.js';
import { formatFloat, relocate, showValue, typeName, type Value } from './values.js';

type NumberValue = Extract<Value, { type: 'int' | 'float' }>;
type BinaryOp = Extract<Expr, { kind: 'binary' }>['op'];

/** Reports a name that no visible `let` defines, with "declared later", "did you mean" or `fallbackHint`. */
export function reportUndefined(name: string, span: Span, scope: Scope, report: Report, fallbackHint?: string): void {
  const later = scope.declaredLater(name);
  const hint = later
    ? `\`${name}\` is defined later, at line ${later.span.line}; move that \`let\` above this use`
    : (didYouMean(name, scope.names()) ?? fallbackHint);
  report(ISSUES.undefinedName, `undefined name \`${name}\``, span, hint);
}

/**
 * Evaluates a constant expression. Returns undefined when the expression has an error, which has
 * then been reported exactly once (callers stay quiet about undefined operands, so one mistake
 * gives one diagnostic). Identifiers that no `let` defines evaluate to `ident` values: whether
 * that is an enum value or an undefined name depends on the key, decided by coerce.
 */
export function evaluate(expr: Expr, scope: Scope, report: Report): Value | undefined {
  switch (expr.kind) {
    case 'int':
      if (!Number.isSafeInteger(expr.value)) {
        report(ISSUES.notRepresentable, `int ${expr.text} is too large (the limit is 2^53)`, expr.span);
        return undefined;
      }
      return { type: 'int', value: expr.value, span: expr.span };
    case 'float':
      if (!Number.isFinite(expr.value)) {
        report(ISSUES.notRepresentable, `float ${expr.text} is out of range`, expr.span);
        return undefined;
      }
      return { type: 'float', value: expr.value, span: expr.span };
    case 'bool':
      return { type: 'bool', value: expr.value, span: expr.span };
    case 'string':
      return { type: 'string', value: expr.value, span: expr.span };
    case 'null':
      return { type: 'null', span: expr.span };
    case 'ident': {
      const binding = scope.lookup(expr.name);
      if (binding === undefined) return { type: 'ident', name: expr.name, span: expr.span, scope };
      binding.used = true;
      return binding.value === undefined ? undefined : relocate(binding.value, expr.span);
    }
    case 'unary':
      return evaluateUnary(expr, scope, report);
    case 'binary': {
      const left = evaluate(expr.left, scope, report);
      const right = evaluate(expr.right, scope, report);
      if (left === undefined || right === undefined) return undefined;
      return evaluateBinary(expr.op, left, right, expr.span, report);
    }
    case 'list':
    case 'tuple': {
      const items = expr.items.map((e) => evaluate(e, scope, report));
      if (items.some((v) => v === undefined)) return undefined;
      return { type: expr.kind, items: items as Value[], span: expr.span };
    }
    case 'ratio': {
      const left = evaluate(expr.left, scope, report);
      const right = evaluate(expr.right, scope, report);
      if (left === undefined || right === undefined) return undefined;
      return { type: 'ratio', left, right, span: expr.span };
    }
    case 'call': {
      const args = expr.args.map((a) => ({ arg: a, value: evaluate(a.value, scope, report) }));
      if (args.some((a) => a.value === undefined)) return undefined;
      return {
        type: 'call',
        callee: expr.callee,
        args: args.map(({ arg, value }) => (arg.name ? { name: arg.name, value: value!, span: arg.span } : { value: value!, span: arg.span })),
        span: expr.span,
      };
    }
  }
}

function evaluateUnary(expr: Extract<Expr, { kind: 'unary' }>, scope: Scope, report: Report): Value | undefined {
  const operand = evaluate(expr.operand, scope, report);
  if (operand === undefined) return undefined;
  if (expr.op === 'not') {
    if (operand.type === 'bool') return { type: 'bool', value: !operand.value, span: expr.span };
    return operandError(operand, '`not`', 'a bool', report);
  }
  const n = numberOperand(operand, `unary \`${expr.op}\``, report);
  if (n === undefined) return undefined;
  return { ...n, value: expr.op === '-' ? -n.value : n.value, span: expr.span };
}

function operandError(v: Value, op: string, wanted: string, report: Report): undefined {
  if (v.type === 'ident') reportUndefined(v.name, v.span, v.scope, report);
  else report(ISSUES.badOperand, `${op} needs ${wanted}, got ${typeName(v)} \`${showValue(v)}\``, v.span);
  return undefined;
}

function numberOperand(v: Value, op: string, report: Report): NumberValue | undefined {
  return v.type === 'int' || v.type === 'float' ? v : operandError(v, op, 'numbers', report);
}

function evaluateBinary(op: BinaryOp, left: Value, right: Value, span: Span, report: Report): Value | undefined {
  if (op === '+' && left.type === 'string' && right.type === 'string') return { type: 'string', value: left.value + right.value, span };
  if (op === '+' && left.type === 'list' && right.type === 'list') return { type: 'list', items: [...left.items, ...right.items], span };
  const l = numberOperand(left, `\`${op}\``, report);
  const r = numberOperand(right, `\`${op}\``, report);
  if (l === undefined || r === undefined) return undefined;
  if ((op === '/' || op === '//' || op === '%') && r.value === 0) {
    report(ISSUES.divisionByZero, `${op === '%' ? 'modulo' : 'division'} by zero`, span);
    return undefined;
  }
  const ints = l.type === 'int' && r.type === 'int';
  const result = arithmetic(op, l.value, r.value, ints);
  if (!Number.isFinite(result.value) || (result.int && !Number.isSafeInteger(result.value))) {
    const what = Number.isNaN(result.value) ? 'is not a number' : result.int ? 'exceeds 2^53' : 'is out of range';
    report(ISSUES.notRepresentable, `the result of \`${op}\` ${what}`, span);
    return undefined;
  }
  if (result.int) return { type: 'int', value: result.value, span };
  if (ints && op === '/') {
    const inexact = `${l.value} / ${r.value} = ${formatFloat(result.value)} is not exact; for integer division write \`${l.value}//${r.value}\` (no spaces: \`// \` starts a comment)`;
    return { type: 'float', value: result.value, span, inexact };
  }
  return { type: 'float', value: result.value, span };
}

/** Python semantics: `//` floors, `%` takes the divisor's sign, int `/` stays an int only when exact. */
function arithmetic(op: BinaryOp, a: number, b: number, ints: boolean): { value: number; int: boolean } {
  switch (op) {
    case '+':
      return { value: a + b, int: ints };
    case '-':
      return { value: a - b, int: ints };
    case '*':
      return { value: a * b, int: ints };
    case '/':
      return { value: a / b, int: ints && a % b === 0 };
    case '//':
      return { value: Math.floor(a / b), int: ints };
    case '%':
      return { value: ((a % b) + b) % b, int: ints };
    case '**':
      return { value: a ** b, int: ints && b >= 0 };
  }
}

/** A hint for a float used where an int is required. */
export function intHint(v: Extract<Value, { type: 'float' }>): string | undefined {
  if (v.inexact !== undefined) return v.inexact;
  return joinHints(Number.isInteger(v.value) ? `write ${v.value} without the decimal point` : undefined);
}
