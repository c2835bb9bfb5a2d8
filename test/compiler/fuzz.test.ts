import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSource, type CheckResult } from '../../compiler/check/check-source.js';
import { createRng, type TestRng } from '../helpers/random.js';

/**
 * Mutation fuzzing of the front end: every example file, mutated by token and byte edits, must
 * check without throwing, in bounded time, with every finding a diagnostic whose location is a real
 * place in the file it names. The seed is fresh each run and printed on failure.
 */

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
const FILES = readdirSync(EXAMPLES).filter((f) => f.endsWith('.xlstm'));
const TEXTS = new Map(FILES.map((f) => [`examples/${f}`, readFileSync(join(EXAMPLES, f), 'utf8')]));
const CASES_PER_FILE = 300;

const TOKEN = /[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d*)?(?:e[-+]?\d+)?|"(?:[^"\\]|\\.)*"|\/\/|\*\*|\s+|./gsu;
const INSERTS = [
  'model', 'extends', 'let', 'import', 'true', 'false', 'null', 'not', '{', '}', '(', ')', '[', ']', ',', ':', '=', ';',
  '+', '-', '*', '/', '//', '%', '**', '"', '"x.xlstm"', '0', '1', '-1', '1e308', '1e999', '99999999999999999999', '0.5',
  'block', 'mlstm', 'slstm', 'ffn', 'train', 'cuda', 'heads', 'ratio', 'slstm_at', 'all', 'adamw(', 'gelu', '/*', '*/',
  '\n', ' ', '\t', '\u00e9', '\u{1F600}', '\r\n', 'import "parity-base.xlstm"', 'import "char-lm.xlstm"',
];

function mutate(text: string, rng: TestRng): string {
  const edits = 1 + rng.int(4);
  let out = text;
  for (let e = 0; e < edits; e++) {
    const tokens = out.match(TOKEN) ?? [''];
    const i = rng.int(tokens.length);
    switch (rng.int(7)) {
      case 0:
        tokens.splice(i, 1);
        break;
      case 1:
        tokens.splice(i, 0, tokens[i]!);
        break;
      case 2: {
        const j = rng.int(tokens.length);
        [tokens[i], tokens[j]] = [tokens[j]!, tokens[i]!];
        break;
      }
      case 3:
        tokens.splice(i, 0, INSERTS[rng.int(INSERTS.length)]!);
        break;
      default: {
        // byte-level: delete, insert or replace one UTF-16 unit anywhere (may split a surrogate pair)
        const joined = tokens.join('');
        const at = rng.int(joined.length + 1);
        const ch = String.fromCharCode(rng.int(4) === 0 ? rng.int(0x10000) : 32 + rng.int(95));
        const kind = rng.int(3);
        out = kind === 0 ? joined.slice(0, at) + joined.slice(at + 1) : joined.slice(0, at) + ch + joined.slice(at + (kind === 1 ? 0 : 1));
        continue;
      }
    }
    out = tokens.join('');
  }
  return out;
}

/** 1-based line and column of an offset, counting "\n" line breaks. */
function lineCol(text: string, offset: number): [number, number] {
  const before = text.slice(0, offset);
  const lastBreak = before.lastIndexOf('\n');
  return [before.split('\n').length, offset - lastBreak];
}

function checkLocations(r: CheckResult, context: string): void {
  for (const d of r.diagnostics) {
    const where = `${context}: ${d.code} ${d.span.file}:${d.span.line}:${d.span.col} ${d.message}`;
    expect(d.code, where).toMatch(/^[EW]\d{3}$/);
    expect(d.message.length, where).toBeGreaterThan(0);
    const text = r.sources.get(d.span.file);
    expect(text, where).toBeDefined();
    expect(d.span.startOffset, where).toBeGreaterThanOrEqual(0);
    expect(d.span.endOffset, where).toBeGreaterThanOrEqual(d.span.startOffset);
    expect(d.span.endOffset, where).toBeLessThanOrEqual(text!.length);
    expect([d.span.line, d.span.col], where).toEqual(lineCol(text!, d.span.startOffset));
    expect([d.span.endLine, d.span.endCol], where).toEqual(lineCol(text!, d.span.endOffset));
  }
}

describe('front-end fuzzing', () => {
  it(`checks ${FILES.length * CASES_PER_FILE} mutated examples without a crash, every finding located`, () => {
    const rng = createRng();
    const context = (file: string, n: number) => `seed ${rng.seed}, ${file} case ${n}`;
    let slowest = 0;
    for (const [file, original] of TEXTS) {
      for (let n = 0; n < CASES_PER_FILE; n++) {
        const text = mutate(original, rng);
        // imports read the unmutated examples, except sometimes a mutated copy of the importing file itself
        const read = (path: string): string => {
          if (path === file) return text;
          const t = TEXTS.get(path);
          if (t === undefined) throw new Error('no such file');
          return t;
        };
        const start = performance.now();
        let r: CheckResult | undefined;
        expect(() => (r = checkSource(text, file, read)), `${context(file, n)}\n${text}`).not.toThrow();
        slowest = Math.max(slowest, performance.now() - start);
        checkLocations(r!, context(file, n));
        for (const m of r!.models) expect(Number.isFinite(m.embeddingDim) && m.blocks.length === m.numBlocks, context(file, n)).toBe(true);
      }
    }
    expect(slowest, `seed ${rng.seed}: slowest case ${slowest.toFixed(0)} ms`).toBeLessThan(2000);
  }, 30_000);
});
