import { goldenCases, goldenSpec } from '../ir/golden-spec.js';
import type { ModelSpec } from '../../../compiler/spec.js';

/** What the interop tests read from each golden case's config.json. */
export interface GoldenConfig {
  name: string;
  officialConfig: Record<string, unknown>;
  officialBlockConfigs: Record<string, unknown>[];
  model: Record<string, unknown> & { blocks: Record<string, unknown>[] };
  numParameters: number;
  /** The case's ModelSpec written from the `model` summary, independently of the importer. */
  summarySpec: ModelSpec;
}

interface OfficialParts {
  official_config: Record<string, unknown>;
  official_block_configs: Record<string, unknown>[];
  model: GoldenConfig['model'];
}

export function goldenConfigs(): GoldenConfig[] {
  return goldenCases().map((c) => {
    const raw = c.config as unknown as OfficialParts;
    return {
      name: c.name,
      officialConfig: raw.official_config,
      officialBlockConfigs: raw.official_block_configs,
      model: raw.model,
      numParameters: c.config.golden.num_parameters,
      summarySpec: goldenSpec(c),
    };
  });
}
