import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFile } from '../../../compiler/check/index.js';
import { blockLocations } from '../../../compiler/emit/source-locations.js';

const BASE = `model Base {
  vocab 16
  embed 32
  context 8
  blocks 2 slstm_at [1]
  mlstm { heads 2 }
  slstm { heads 2 }
}
`;
const MAIN = `import "base.xlstm"

model Main extends Base {
  blocks 4 slstm_at [1]
  block [2, 3] {
    mlstm { heads 4 }
  }
}
`;

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'xlstm-locations-'));
  writeFileSync(join(dir, 'base.xlstm'), BASE);
  writeFileSync(join(dir, 'main.xlstm'), MAIN);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('blockLocations', () => {
  it('finds each block its override, else the nearest layer section up the extends chain, across files', () => {
    const result = checkFile(join(dir, 'main.xlstm'));
    expect(result.diagnostics).toEqual([]);
    const spec = result.models[0]!;
    const { model, blocks } = blockLocations(spec, result.sources);
    const main = join(dir, 'main.xlstm');
    const base = join(dir, 'base.xlstm');
    expect(model).toEqual({ where: `${main}:3:1`, what: 'model Main' });
    expect(blocks.get(0)).toEqual({ where: `${base}:6:3`, what: 'mlstm { … } of model Base' });
    expect(blocks.get(1)).toEqual({ where: `${base}:7:3`, what: 'slstm { … } of model Base' });
    expect(blocks.get(2)).toEqual({ where: `${main}:6:5`, what: 'block 2 { mlstm { … } } in model Main' });
    expect(blocks.get(3)).toEqual({ where: `${main}:6:5`, what: 'block 3 { mlstm { … } } in model Main' });
  });

  it('falls back to the model declaration for blocks no section describes', () => {
    writeFileSync(join(dir, 'bare.xlstm'), 'model Bare { vocab 16 embed 32 context 8 blocks 1 }\n');
    const result = checkFile(join(dir, 'bare.xlstm'));
    const { model, blocks } = blockLocations(result.models[0]!, result.sources);
    expect(blocks.get(0)).toEqual(model);
    expect(model.where).toBe(`${join(dir, 'bare.xlstm')}:1:1`);
  });
});
