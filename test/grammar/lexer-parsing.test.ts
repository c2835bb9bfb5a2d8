import { describe, expect, it } from 'vitest';
import { lexSource, stringValue } from '../../grammar/lexer.js';
import { LineIndex } from '../../grammar/line-index.js';
import { createRng } from '../helpers/random.js';
import { at, codes, only } from './grammar-helpers.js';

function lex(text: string) {
  return lexSource(text, new LineIndex(text, 'lex.xlstm'));
}

function kinds(text: string): string[] {
  return lex(text).tokens.map((t) => `${t.tokenType.name}:${t.image}`);
}

describe('lexer', () => {
  it('tells keywords from identifiers that start with them', () => {
    expect(kinds('model modelx let letter import extends true false null not nothing _x9')).toEqual([
      'Model:model', 'Identifier:modelx', 'Let:let', 'Identifier:letter', 'Import:import', 'Extends:extends',
      'True:true', 'False:false', 'Null:null', 'Not:not', 'Identifier:nothing', 'Identifier:_x9',
    ]);
  });

  it('reads every number form', () => {
    expect(kinds('123 1.5 1e-3 2. 1E+5 0.95')).toEqual(['IntLit:123', 'FloatLit:1.5', 'FloatLit:1e-3', 'FloatLit:2.', 'FloatLit:1E+5', 'FloatLit:0.95']);
  });

  it('reads punctuation and operators, `**` as one token', () => {
    expect(kinds('{}()[],:=; + - * / % **').map((k) => k.split(':')[0])).toEqual([
      'LBrace', 'RBrace', 'LParen', 'RParen', 'LBracket', 'RBracket', 'Comma', 'Colon', 'Equals', 'Semicolon',
      'Plus', 'Minus', 'Star', 'Slash', 'Percent', 'StarStar',
    ]);
  });

  it('reads `//` glued to operands as floor division and spaced `//` as a comment', () => {
    expect(kinds('d//2 (a)//[b] x//-1')).toEqual([
      'Identifier:d', 'FloorDiv://', 'IntLit:2', 'LParen:(', 'Identifier:a', 'RParen:)', 'FloorDiv://', 'LBracket:[', 'Identifier:b', 'RBracket:]',
      'Identifier:x', 'FloorDiv://', 'Minus:-', 'IntLit:1',
    ]);
    const r = lex('context 256   // training length\nd //2');
    expect(kinds('context 256   // training length')).toEqual(['Identifier:context', 'IntLit:256']);
    expect(r.comments.map((c) => c.text)).toEqual(['// training length', '//2']);
  });

  it('decodes the string escapes', () => {
    const [t] = lex(String.raw`"a\"b\\c\nd"`).tokens;
    expect(stringValue(t)).toBe('a"b\\c\nd');
  });

  it('keeps comments, with spans, and skips them as tokens', () => {
    const r = lex('a 1 // one\n/* two\n lines */ b 2');
    expect(kinds('a 1 // one\n/* two\n lines */ b 2')).toEqual(['Identifier:a', 'IntLit:1', 'Identifier:b', 'IntLit:2']);
    expect(r.comments.map((c) => [c.text, at(c.span)])).toEqual([
      ['// one', '1:5-1:11'],
      ['/* two\n lines */', '2:1-3:10'],
    ]);
    expect(r.diagnostics).toEqual([]);
  });

  it('E001: an unexpected character, with its exact span and a hint', () => {
    const d = only(lex('model A {\n  vocab @ 3\n}').diagnostics, 'E001');
    expect(d.message).toBe('unexpected character `@`');
    expect(at(d.span)).toBe('2:9-2:10');
    expect(d.span.startOffset).toBe(18);
    expect(only(lex("x 'a'").diagnostics.slice(0, 1), 'E001').hint).toMatch(/double quotes/);
    expect(only(lex('x #c').diagnostics, 'E001').hint).toMatch(/`\/\/`/);
    expect(only(lex('x .5').diagnostics, 'E001').hint).toMatch(/0\.5/);
    const run = only(lex('x @$@ y').diagnostics, 'E001');
    expect([run.message, at(run.span)]).toEqual(['unexpected characters `@$@`', '1:3-1:6']);
    expect(only(lex('x \u00e9').diagnostics, 'E001').message).toBe('unexpected character U+00E9');
  });

  it('E002: an unterminated string runs to the end of its line', () => {
    const d = only(lex('a "abc\nb 1').diagnostics, 'E002');
    expect(at(d.span)).toBe('1:3-1:7');
    expect(kinds('a "abc\nb 1').slice(2)).toEqual(['Identifier:b', 'IntLit:1']);
  });

  it('E003: an unterminated block comment', () => {
    const d = only(lex('a 1\n  /* never closed\nb 2').diagnostics, 'E003');
    expect(at(d.span)).toBe('2:3-2:5');
  });

  it('E004: an unknown escape, spanning the backslash and its character', () => {
    const d = only(lex('s "ab\\qc"').diagnostics, 'E004');
    expect([d.message, at(d.span)]).toEqual(['invalid escape `\\q` in string', '1:6-1:8']);
  });

  it('E005: a number glued to letters or dots', () => {
    for (const bad of ['1e', '12x', '1.2.3', '1e+', '3abc']) {
      const d = only(lex(`v ${bad} w`).diagnostics, 'E005');
      expect(d.message).toBe(`malformed number \`${bad}\``);
      expect(at(d.span)).toBe(`1:3-1:${3 + bad.length}`);
    }
  });

  it('W001: warns when a spaced `//` after an operand looks like a lost floor division', () => {
    const d = only(lex('embed d // 2\n').diagnostics, 'W001');
    expect([d.severity, at(d.span)]).toEqual(['warning', '1:9-1:11']);
    expect(lex('blocks 8 // 2 per group\n// 3\nx 1 //comment').diagnostics).toEqual([]);
  });

  it('never throws on random characters, and every diagnostic span lies inside the text', () => {
    const rng = createRng();
    const alphabet = 'model{}()[]"/*\\\n :=,;+-.e1_x\u00e9\u0000\t#@\'';
    for (let n = 0; n < 200; n++) {
      const text = Array.from({ length: rng.int(60) }, () => alphabet[rng.int(alphabet.length)]).join('');
      const r = lex(text);
      for (const d of r.diagnostics) {
        expect(d.span.startOffset, `seed ${rng.seed}: ${JSON.stringify(text)}`).toBeGreaterThanOrEqual(0);
        expect(d.span.endOffset, `seed ${rng.seed}: ${JSON.stringify(text)}`).toBeLessThanOrEqual(text.length);
      }
      expect(codes(r.diagnostics).every((c) => /^(E00[1-5]|W001)$/.test(c)), `seed ${rng.seed}`).toBe(true);
    }
  });
});
