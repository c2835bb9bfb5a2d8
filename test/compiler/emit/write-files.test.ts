import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFilesAtomically } from '../../../compiler/emit/write-files-node.js';
import { UserError } from '../../../runtime/errors.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'xlstm-write-'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const FILES = [
  { path: 'm.ts', text: 'export const a = 1;\n' },
  { path: 'm/forward_00_a.wgsl', text: '// a\n' },
  { path: 'm/step_00_b.wgsl', text: '// b\n' },
];

describe('writeFilesAtomically', () => {
  it('creates the output directory and writes every file, leaving no staging directory', async () => {
    const out = join(dir, 'gen', 'deep');
    expect(await writeFilesAtomically(out, FILES)).toEqual([join(out, 'm.ts'), join(out, 'm')]);
    expect(readFileSync(join(out, 'm.ts'), 'utf8')).toBe(FILES[0]!.text);
    expect(readdirSync(join(out, 'm')).sort()).toEqual(['forward_00_a.wgsl', 'step_00_b.wgsl']);
    expect(readdirSync(out).sort()).toEqual(['m', 'm.ts']);
  });

  it('replaces the kernel directory of an earlier compile whole, so stale kernels go', async () => {
    mkdirSync(join(dir, 'm'));
    writeFileSync(join(dir, 'm', 'forward_09_old.wgsl'), 'old');
    writeFileSync(join(dir, 'm.ts'), 'old');
    writeFileSync(join(dir, 'keep.txt'), 'mine');
    await writeFilesAtomically(dir, FILES);
    expect(readdirSync(join(dir, 'm')).sort()).toEqual(['forward_00_a.wgsl', 'step_00_b.wgsl']);
    expect(readFileSync(join(dir, 'm.ts'), 'utf8')).toBe(FILES[0]!.text);
    expect(readFileSync(join(dir, 'keep.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(dir).sort()).toEqual(['keep.txt', 'm', 'm.ts']);
  });

  it('writes nothing when a directory it would replace holds files it did not write', async () => {
    mkdirSync(join(dir, 'm'));
    writeFileSync(join(dir, 'm', 'notes.md'), 'mine');
    await expect(writeFilesAtomically(dir, FILES)).rejects.toThrow(new UserError(`${join(dir, 'm')}: holds notes.md, which xlstm compile did not write; remove it or choose another output directory`));
    expect(readdirSync(dir)).toEqual(['m']);
    expect(readdirSync(join(dir, 'm'))).toEqual(['notes.md']);
  });

  it('writes nothing when a directory stands where a file goes, or a file where the kernel directory goes', async () => {
    mkdirSync(join(dir, 'm.ts'));
    await expect(writeFilesAtomically(dir, FILES)).rejects.toThrow(/m\.ts: is a directory/);
    expect(readdirSync(dir)).toEqual(['m.ts']);
    rmSync(join(dir, 'm.ts'), { recursive: true });
    writeFileSync(join(dir, 'm'), 'x');
    await expect(writeFilesAtomically(dir, FILES)).rejects.toThrow(/a file is in the way of the kernel directory/);
    expect(readdirSync(dir)).toEqual(['m']);
    expect(existsSync(join(dir, 'm.ts'))).toBe(false);
  });

  it('refuses an output directory that cannot be created', async () => {
    writeFileSync(join(dir, 'occupied'), 'x');
    await expect(writeFilesAtomically(join(dir, 'occupied'), FILES)).rejects.toThrow(/cannot create the output directory \(a file is in the way\)/);
  });
});
