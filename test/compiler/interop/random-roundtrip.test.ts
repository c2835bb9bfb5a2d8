import { describe, expect, it } from 'vitest';
import { checkSource } from '../../../compiler/check/index.js';
import { renderDiagnostic } from '../../../compiler/diagnostics.js';
import { formatSource } from '../../../grammar/format.js';
import { specFromOfficialConfig } from '../../../compiler/interop/from-official.js';
import { parseConfigText } from '../../../compiler/interop/read-config.js';
import { officialConfigFromSpec } from '../../../compiler/interop/to-official.js';
import { xlstmSourceFromSpec } from '../../../compiler/interop/to-xlstm.js';
import { formatOfficialConfig } from '../../../compiler/interop/write-config.js';
import { createRng } from '../../helpers/random.js';
import { randomOfficialConfig } from './random-configs.js';

const rng = createRng();
const CONFIGS = 60;

describe(`random official configs (seed ${rng.seed})`, () => {
  const configs = Array.from({ length: CONFIGS }, () => randomOfficialConfig(rng));

  it('import, export as JSON and YAML text, re-import: the same post-init config', () => {
    for (const config of configs) {
      const first = specFromOfficialConfig(config, 'Random');
      expect(first.errors, `seed ${rng.seed}: ${JSON.stringify(config)}`).toEqual([]);
      const official = officialConfigFromSpec(first.spec!);
      for (const format of ['json', 'yaml'] as const) {
        const text = formatOfficialConfig(official, format);
        const again = specFromOfficialConfig(parseConfigText(text, `out.${format}`, format), 'Random');
        expect(again.warnings, `seed ${rng.seed}`).toEqual([]);
        expect(JSON.stringify(officialConfigFromSpec(again.spec!)), `seed ${rng.seed}: ${text}`).toBe(JSON.stringify(official));
      }
    }
  });

  it('spec → .xlstm text → checker: no errors and the same spec, with and without default keys', () => {
    for (const config of configs) {
      const spec = specFromOfficialConfig(config, 'Random').spec!;
      for (const writeDefaults of [false, true]) {
        const text = xlstmSourceFromSpec(spec, { importedFrom: 'random.yaml', writeDefaults });
        const checked = checkSource(text, 'random.xlstm');
        const errors = checked.diagnostics.filter((d) => d.severity === 'error').map((d) => renderDiagnostic(d, text));
        expect(errors, `seed ${rng.seed}:\n${text}`).toEqual([]);
        expect({ ...checked.models[0], source: undefined }, `seed ${rng.seed}:\n${text}`).toEqual({ ...spec, source: undefined });
        expect(formatSource(text, 'random.xlstm').output, 'already in the formatter\'s canonical layout').toBe(text);
      }
    }
  });

  // the official sLSTMCellConfig.__post_init__ takes num_states from rnn_function_registry (lstm: 2)
  it('function lstm resolves to numStates 2', () => {
    const spec = specFromOfficialConfig({ vocab_size: 8, embedding_dim: 8, num_blocks: 1, context_length: 4, slstm_block: { slstm: { function: 'lstm' } } }, 'Lstm').spec!;
    expect(spec.slstm!.numStates).toBe(2);
    const checked = checkSource(xlstmSourceFromSpec(spec), 'lstm.xlstm');
    expect(checked.models[0]!.slstm!.numStates).toBe(2);
  });
});
