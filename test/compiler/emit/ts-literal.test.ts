import { describe, expect, it } from 'vitest';
import { templateLiteral, tsLiteral } from '../../../compiler/emit/ts-literal.js';

/** Evaluates a JavaScript expression (the literals are TypeScript that is also JavaScript). */
function evaluate(source: string): unknown {
  return new Function(`return (${source});`)();
}

describe('tsLiteral', () => {
  const value = {
    name: 'M',
    n: 3,
    eps: 1e-6,
    neg: -2.5,
    big: 1e21,
    flag: false,
    none: null,
    list: [1, 2, 3],
    rows: [{ kind: 'a', index: 0 }, { kind: 'b', index: 1 }],
    'not-an-identifier': 'quoted "key"',
    empty: {},
  };

  it('writes a value that evaluates back to itself, multi-line or inline', () => {
    expect(evaluate(tsLiteral(value))).toEqual(value);
    expect(evaluate(tsLiteral(value, true))).toEqual(value);
    expect(tsLiteral(value, true)).not.toContain('\n');
    expect(tsLiteral([1, 2])).toBe('[1, 2]');
    expect(Object.is(evaluate(tsLiteral(-0)), -0)).toBe(true);
  });

  it('leaves out undefined properties and refuses what has no literal', () => {
    expect(tsLiteral({ a: 1, b: undefined }, true)).toBe('{ a: 1 }');
    expect(() => tsLiteral(NaN)).toThrow(/no literal/);
    expect(() => tsLiteral(() => 1)).toThrow(/cannot write a function/);
  });
});

describe('templateLiteral', () => {
  it('keeps any text verbatim, including backticks, backslashes and ${', () => {
    const text = 'a `b` \\n ${c} $d\n  line two\\\\';
    expect(evaluate(templateLiteral(text))).toBe(text);
  });
});
