/**
 * The documentation against the code it describes: docs/language.md must list every key of every
 * scope with its schema default, every diagnostic code the parser and the checker can emit, and
 * placements that the placement rule really produces; the .xlstm examples in the docs must check;
 * the paths the README and the data README name must exist.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSource, ISSUES, ratioPlacement, SCHEMA, type ScopeName } from '../../compiler/check/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const LANGUAGE = read('docs/language.md');
const README = read('README.md');

/** The `### ...` subsections of a markdown text, by heading. */
function subsections(text: string): Map<string, string> {
  const parts = text.split(/^### /m).slice(1);
  return new Map(parts.map((p) => [p.slice(0, p.indexOf('\n')), p]));
}

/** Table rows (cells trimmed) of a markdown text, header and separator rows left out. */
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[\s|:-]+\|$/.test(line))
    .map((line) => line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
}

const backticked = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/** The scope a `### ` heading of the key tables documents. */
function scopeOf(heading: string): ScopeName | undefined {
  if (heading.startsWith('Model body')) return 'model';
  const first = backticked(heading)[0]?.split(' ')[0];
  return first !== undefined && first in SCHEMA ? (first as ScopeName) : undefined;
}

/** Whether a default as the doc writes it (`4`, `2.0`, `true`, `gelu`, `null`, required) is the schema's. */
function sameDefault(written: string, key: string, scope: ScopeName): boolean {
  const k = SCHEMA[scope].keys[key]!;
  const text = written.replace(/`/g, '');
  if (k.required) return text === 'required';
  if (k.defaultFrom !== undefined) return text === k.defaultFrom;
  const d = k.default;
  if (typeof d === 'number') return Number(text) === d;
  if (Array.isArray(d)) return text.replace(/[()[\]\s]/g, '') === d.join(',');
  return text === String(d);
}

describe('docs/language.md', () => {
  const sections = subsections(LANGUAGE);
  const documented = new Map<ScopeName, Map<string, string>>();
  for (const [heading, body] of sections) {
    const scope = scopeOf(heading);
    if (scope === undefined) continue;
    const keys = documented.get(scope) ?? new Map<string, string>();
    for (const row of tableRows(body)) for (const key of backticked(row[0]!)) keys.set(key, row[2]!);
    documented.set(scope, keys);
  }

  for (const scope of Object.keys(SCHEMA) as ScopeName[]) {
    if (scope === 'block') continue;
    it(`documents every key of ${scope} with its default`, () => {
      const keys = documented.get(scope);
      expect(keys, `no key table for ${scope}`).toBeDefined();
      for (const key of Object.keys(SCHEMA[scope].keys)) {
        expect(keys!.has(key), `${scope}.${key} is not documented`).toBe(true);
        // the CUDA table names its keys only (their official fields are their names)
        if (scope !== 'cuda' && key !== 'ratio') expect(sameDefault(keys!.get(key)!, key, scope), `${scope}.${key}: documented default ${keys!.get(key)}`).toBe(true);
      }
      for (const key of keys!.keys()) expect(key in SCHEMA[scope].keys, `${scope}.${key} is documented but not a key`).toBe(true);
    });
  }

  it('lists every checker diagnostic code with its doc line', () => {
    const rows = new Map(tableRows(LANGUAGE).map((r) => [r[0]!, r[1]!]));
    for (const issue of Object.values(ISSUES)) expect(rows.has(issue.code), `${issue.code} (${issue.doc})`).toBe(true);
  });

  it('lists every code the lexer and parser emit', () => {
    const grammar = join(ROOT, 'grammar');
    const codes = new Set<string>();
    for (const f of readdirSync(grammar).filter((n) => n.endsWith('.ts'))) {
      for (const m of readFileSync(join(grammar, f), 'utf8').matchAll(/'([EW]0\d\d)'/g)) codes.add(m[1]!);
    }
    expect(codes.size).toBeGreaterThan(10);
    const rows = new Set(tableRows(LANGUAGE).map((r) => r[0]));
    for (const code of codes) expect(rows.has(code), code).toBe(true);
  });

  it('shows placements the ratio rule produces', () => {
    const table = [...sections].find(([h]) => h.startsWith('Where'))?.[1] ?? LANGUAGE;
    const rows = tableRows(table.slice(table.indexOf('| blocks | ratio |'))).filter((r) => /^\d+$/.test(r[0]!));
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const [blocks, ratio, at] of rows) {
      const [m, s] = ratio!.replace(/`/g, '').split(':').map(Number);
      expect(`[${ratioPlacement(Number(blocks), { mlstm: m!, slstm: s! })!.join(', ')}]`, `${blocks} blocks ratio ${ratio}`).toBe(at!.replace(/`/g, ''));
    }
  });
});

describe('the .xlstm examples of the docs', () => {
  const examples: [string, string][] = [
    ['docs/language.md', LANGUAGE.match(/```\n(\/\/ Character LM[\s\S]*?)```/)![1]!],
    ['README.md', README.match(/## The language\n\n```\n([\s\S]*?)```/)![1]!],
  ];
  for (const [file, text] of examples) {
    it(`${file}: the model example checks without errors or warnings`, () => {
      const r = checkSource(text, `${file}.xlstm`);
      expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
      expect(r.models).toHaveLength(1);
    });
  }
});

describe('paths named in the READMEs', () => {
  it('README.md names files and folders that exist', () => {
    const named = new Set([...README.matchAll(/(?:^|[\s`(])((?:examples|test\/fixtures|docs|grammar|compiler|runtime|bench)\/[\w./-]*[\w/])/gm)].map((m) => m[1]!));
    expect(named.size).toBeGreaterThan(8);
    for (const path of named) expect(statSync(join(ROOT, path), { throwIfNoEntry: false }), path).toBeDefined();
  });

  it('examples/data/README.md lists every text with its size', () => {
    const rows = tableRows(read('examples/data/README.md')).filter((r) => r[0]!.endsWith('.txt`'));
    const files = readdirSync(join(ROOT, 'examples/data/english')).sort();
    expect(rows.map((r) => backticked(r[0]!)[0])).toEqual(files);
    for (const r of rows) {
      const bytes = statSync(join(ROOT, 'examples/data/english', backticked(r[0]!)[0]!)).size;
      expect(Number(r[3]!.replace(/,/g, '')), r[0]).toBe(bytes);
    }
  });
});
