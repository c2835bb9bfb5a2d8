import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTokenData } from '../../../runtime/train/data-node.js';
import { tinySpec } from './tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'xlstm-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reading training data', () => {
  const bytes = tinySpec({ vocab: 256 });
  const small = tinySpec({ vocab: 16 });

  it('reads a text file byte by byte', () => {
    writeFileSync(join(dir, 'a.txt'), 'abc');
    expect([...readTokenData(join(dir, 'a.txt'), bytes)]).toEqual([97, 98, 99]);
  });

  it('concatenates a directory recursively in sorted path order, each file by its extension, skipping dot files', () => {
    const d = join(dir, 'corpus');
    mkdirSync(join(d, 'b'), { recursive: true });
    mkdirSync(join(d, '.git'));
    writeFileSync(join(d, 'c.i32'), new Uint8Array(Int32Array.of(9, 10).buffer));
    writeFileSync(join(d, 'a.u16'), new Uint8Array(Uint16Array.of(1, 2).buffer));
    writeFileSync(join(d, 'b', 'x.txt'), Uint8Array.of(3, 4));
    writeFileSync(join(d, '.hidden'), 'zzz');
    writeFileSync(join(d, '.git', 'HEAD'), 'zzz');
    expect([...readTokenData(d, small)]).toEqual([1, 2, 3, 4, 9, 10]);
  });

  it('names the file whose ids do not fit the vocabulary', () => {
    const d = join(dir, 'mixed');
    mkdirSync(d);
    writeFileSync(join(d, '1.u16'), new Uint8Array(Uint16Array.of(1, 2).buffer));
    writeFileSync(join(d, '2.u16'), new Uint8Array(Uint16Array.of(3, 16).buffer));
    expect(() => readTokenData(d, small)).toThrow(`${join(d, '2.u16')}: token 16 at index 1 is outside the vocabulary [0, 16) of Tiny`);
  });

  it('refuses missing paths, empty directories and empty files in one line', () => {
    expect(() => readTokenData(join(dir, 'nope.txt'), bytes)).toThrow(/nope\.txt: no such file or directory$/);
    mkdirSync(join(dir, 'empty'));
    expect(() => readTokenData(join(dir, 'empty'), bytes)).toThrow(/empty: the directory holds no data files$/);
    writeFileSync(join(dir, 'zero.txt'), '');
    expect(() => readTokenData(join(dir, 'zero.txt'), bytes)).toThrow(/zero\.txt: the file is empty/);
  });
});
