import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { specFromOfficialConfig } from '../../../compiler/interop/from-official.js';
import { parseConfigText } from '../../../compiler/interop/read-config.js';
import { officialConfigFromSpec } from '../../../compiler/interop/to-official.js';
import { formatOfficialConfig } from '../../../compiler/interop/write-config.js';
import { goldenConfigs } from './golden-cases.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/golden');

describe('formatOfficialConfig', () => {
  it('writes JSON exactly as Python json.dumps(indent=1) wrote the golden files', () => {
    // the golden config.json nests official_config one level deep, so each of its lines has one more space
    for (const name of ['m_only', 's_only', 'mixed_1_1']) {
      const fileText = readFileSync(join(FIXTURES, `case_${name}`, 'config.json'), 'utf8');
      const golden = goldenConfigs().find((g) => g.name === name)!;
      const json = formatOfficialConfig(officialConfigFromSpec(specFromOfficialConfig(golden.officialConfig, 'G').spec!), 'json');
      expect(fileText).toContain(`"official_config": ${json.trimEnd().split('\n').join('\n ')}`);
    }
  });

  it('writes float fields as floats in YAML, and reads back to the same config', () => {
    const config = officialConfigFromSpec(specFromOfficialConfig(goldenConfigs().find((g) => g.name === 'mixed_1_1')!.officialConfig, 'G').spec!);
    const yaml = formatOfficialConfig(config, 'yaml');
    expect(yaml).toMatch(/^ {4}proj_factor: 1\.5$/m);
    expect(yaml).toMatch(/^ {4}dropout: 0\.0$/m);
    expect(yaml).toMatch(/^ {4}initial_val: 0\.0$/m);
    expect(yaml).toMatch(/^ {4}num_heads: 2$/m);
    expect(parseConfigText(yaml, 'x.yaml', 'yaml')).toEqual(config);
  });

  it('quotes strings that YAML 1.1 would read as numbers', () => {
    const config = officialConfigFromSpec(specFromOfficialConfig({ vocab_size: 4, embedding_dim: 8, num_blocks: 1, context_length: 2, mlstm_block: {} }, 'G').spec!);
    const yaml = formatOfficialConfig(config, 'yaml');
    expect(yaml).toMatch(/^_block_map: "0"$/m);
    expect(parseConfigText(yaml, 'x.yaml', 'yaml')._block_map).toBe('0');
  });
});
