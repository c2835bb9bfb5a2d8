import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ISSUES } from '../../../compiler/check/issues.js';
import { SCHEMA, type DefaultValue, type KeySchema, type ScopeName } from '../../../compiler/check/schema.js';
import { specOf } from './check-helpers.js';

/** A default as source text, by its key's type. */
function literal(k: KeySchema, v: DefaultValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return k.type.kind === 'float-pair' ? `(${v.join(', ')})` : `[${v.join(', ')}]`;
  if (k.type.kind === 'string') return JSON.stringify(v);
  if (k.type.kind === 'float' && typeof v === 'number' && Number.isInteger(v)) return v.toFixed(1);
  return String(v);
}

/** Every key of `scope` written out at its default. */
function allDefaults(scope: ScopeName): string {
  return Object.entries(SCHEMA[scope].keys)
    .filter(([, k]) => k.default !== undefined)
    .map(([key, k]) => `${key} ${literal(k, k.default!)}`)
    .join('  ');
}

describe('the schema', () => {
  it('has defaults that check and resolve to the same model as leaving them out', () => {
    const head = 'vocab 32 embed 32 context 16 blocks 2';
    const implicit = specOf(`model M { ${head} slstm_at [1] mlstm { } slstm { ffn { } } train { } }`);
    const explicit = specOf(
      `model M { ${head} ${allDefaults('model').replace('slstm_at []', 'slstm_at [1]')}
        mlstm { ${allDefaults('mlstm')} }
        slstm { ${allDefaults('slstm')} ffn { ${allDefaults('ffn')} } cuda { ${allDefaults('cuda')} } }
        train { ${allDefaults('train')} } }`,
    );
    expect({ ...explicit, source: undefined }).toEqual({ ...implicit, source: undefined });
  });

  it('gives every key a doc, and a default unless it is required, derived or a placement alternative', () => {
    for (const [scope, s] of Object.entries(SCHEMA)) {
      for (const [key, k] of Object.entries(s.keys)) {
        expect(k.doc.length, `${scope}.${key}`).toBeGreaterThan(5);
        const explained = k.required || k.defaultFrom !== undefined || k.group !== undefined || k.default !== undefined;
        expect(explained, `${scope}.${key}`).toBe(true);
      }
    }
  });
});

function testSources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? testSources(path) : name.endsWith('.ts') ? [readFileSync(path, 'utf8')] : [];
  });
}

describe('issue codes', () => {
  it('are unique, and W-codes are warnings', () => {
    const all = Object.values(ISSUES);
    expect(new Set(all.map((i) => i.code)).size).toBe(all.length);
    for (const i of all) expect(i.severity).toBe(i.code.startsWith('W') ? 'warning' : 'error');
  });

  it('each have a test that expects them', () => {
    const tests = testSources(join(import.meta.dirname, '..')).join('\n');
    const untested = Object.values(ISSUES).filter((i) => !tests.includes(`'${i.code}'`)).map((i) => i.code);
    expect(untested).toEqual([]);
  });
});
