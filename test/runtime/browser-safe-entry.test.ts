import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** Every source file `entry` reaches through its imports (static, dynamic and type-only), and the bare specifiers it names. */
function importGraph(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (fileName.startsWith('.')) visit(join(dirname(file), fileName.replace(/\.js$/, '.ts')));
      else packages.add(fileName);
    }
  };
  visit(join(ROOT, entry));
  return { files: [...files].map((f) => relative(ROOT, f)), packages: [...packages] };
}

describe('the runtime entries', () => {
  it('xlstm-dsl/runtime reaches no Node module, no -node file and neither the front end nor ts-morph', () => {
    const { files, packages } = importGraph('runtime/index.ts');
    expect(files).toContain('runtime/xlstm-model.ts');
    expect(files).toContain('compiler/plan/forward-plan.ts');
    expect(files.filter((f) => f.endsWith('-node.ts') || f.startsWith('grammar/parser') || f.startsWith('compiler/check/'))).toEqual([]);
    expect(packages).toEqual([]);
  });

  it('xlstm-dsl/runtime/node adds the Node host on top of it', () => {
    const { files } = importGraph('runtime/node.ts');
    expect(files).toEqual(expect.arrayContaining(['runtime/index.ts', 'runtime/model-host-node.ts', 'runtime/device-node.ts']));
  });
});
