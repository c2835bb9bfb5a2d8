/**
 * Official `xLSTMLMModelConfig` (NX-AI/xlstm 2.0.5) → ModelSpec. Accepts the full post-init dict (as in
 * the golden `official_config`) or a sparse YAML-style dict (omitted fields take the dataclass
 * defaults), reproduces every `__post_init__` derivation, and rejects what the official code or this
 * project cannot build, naming the field path in each message.
 */

import type { BlockSpec, MlstmSpec, ModelSpec, SlstmSpec } from '../spec.js';
import { describeValue, ImportProblems, joinPath } from './import-problems.js';
import { checkDropout, mlstmFromOfficial, slstmFromOfficial, type TopLevelCopies } from './official-layers.js';
import { LM_MODEL_FIELDS } from './official-schema.js';
import { isMapping, readFields, type FieldValues, type GivenDerived } from './read-fields.js';
import { OFFICIAL_LAYER_NORM_EPS, OFFICIAL_MLSTM_CELL_EPS, officialConfigFromSpec } from './to-official.js';
import { defaultTrainSpec } from './train-keys.js';

export interface OfficialImport {
  spec?: ModelSpec;
  errors: string[];
  /** Accepted but worth saying: ignored derived values, normalised lists, dropped unused templates. */
  warnings: string[];
}

export interface OfficialImportOptions {
  /** Where the config sits in its document (e.g. "model" for an experiments file), prefixed to paths. */
  path?: string;
}

function checkTopLevel(top: FieldValues, at: (name: string) => string, problems: ImportProblems): void {
  const vocab = top.vocab_size as number;
  if (vocab === -1) problems.error(at('vocab_size'), 'required (the official default -1 cannot build a model)');
  else if (vocab < 2) problems.error(at('vocab_size'), `must be at least 2, got ${vocab}`);
  for (const name of ['embedding_dim', 'num_blocks']) {
    const value = top[name] as number;
    if (value < 1) problems.error(at(name), `must be at least 1, got ${value}`);
  }
  const context = top.context_length as number;
  if (context === -1) {
    problems.error(at('context_length'), 'required (the official default -1 only works without mLSTM blocks; this project also trains on it)');
  } else if (context < 1) {
    problems.error(at('context_length'), `must be at least 1, got ${context}`);
  }
  checkDropout(top.dropout as number, at('dropout'), problems);
}

/**
 * The official block map: `mlstm_block: null` means every block is sLSTM; otherwise `slstm_at` ("all" or
 * indices). Returns sorted, distinct positions, or undefined after reporting an error.
 */
function slstmPositions(top: FieldValues, at: (name: string) => string, problems: ImportProblems): number[] | undefined {
  const numBlocks = top.num_blocks as number;
  const all = Array.from({ length: numBlocks }, (_, i) => i);
  const given = top.slstm_at as number[] | 'all';
  if (top.mlstm_block === null) {
    if (given !== 'all' && JSON.stringify(given) !== JSON.stringify(all)) {
      problems.warn(at('slstm_at'), 'ignored: with mlstm_block null the official code makes every block an sLSTM block');
    }
    return all;
  }
  if (given === 'all') return all;
  const before = problems.errors.length;
  for (const i of given) {
    if (i < 0) problems.error(at('slstm_at'), `block index ${i} is negative; blocks are numbered 0..${numBlocks - 1}`);
    else if (i >= numBlocks) problems.error(at('slstm_at'), `block index ${i} is out of range for num_blocks ${numBlocks} (0..${numBlocks - 1})`);
  }
  if (problems.errors.length > before) return undefined;
  const positions = [...new Set(given)].sort((a, b) => a - b);
  if (JSON.stringify(positions) !== JSON.stringify(given)) {
    problems.warn(at('slstm_at'), `read as ${JSON.stringify(positions)} (sorted, without repeats; the same blocks)`);
  }
  return positions;
}

function blockSpecs(numBlocks: number, slstmAt: readonly number[], mlstm: MlstmSpec | null, slstm: SlstmSpec | null): BlockSpec[] {
  return Array.from({ length: numBlocks }, (_, index): BlockSpec => {
    // each block gets its own copy, so a later per-block change cannot leak into the template
    if (slstmAt.includes(index)) return { kind: 'slstm', index, ...structuredClone(slstm!) };
    return { kind: 'mlstm', index, ...structuredClone(mlstm!) };
  });
}

/** Reads the templates that some block uses; says so when a given template is not used by any block. */
function blockTemplates(
  top: FieldValues,
  slstmAt: readonly number[],
  copies: TopLevelCopies,
  at: (name: string) => string,
  problems: ImportProblems,
): { mlstm: MlstmSpec | null; slstm: SlstmSpec | null } | undefined {
  const numBlocks = top.num_blocks as number;
  const needsMlstm = slstmAt.length < numBlocks;
  const needsSlstm = slstmAt.length > 0;
  const mlstmBlock = top.mlstm_block as FieldValues | null;
  const slstmBlock = top.slstm_block as FieldValues | null;
  if (mlstmBlock !== null && !needsMlstm) problems.warn(at('mlstm_block'), 'not used (every block is an sLSTM block); left out');
  if (slstmBlock !== null && !needsSlstm) problems.warn(at('slstm_block'), 'not used (no block is an sLSTM block); left out');
  if (needsSlstm && slstmBlock === null) {
    const why = mlstmBlock === null ? 'mlstm_block is null, so every block is an sLSTM block' : `slstm_at places sLSTM blocks at ${JSON.stringify(slstmAt)}`;
    problems.error(at('slstm_block'), `required: ${why}, but slstm_block is null`);
    return undefined;
  }
  const mlstm = needsMlstm ? mlstmFromOfficial(mlstmBlock!.mlstm as FieldValues, copies, joinPath(at('mlstm_block'), 'mlstm'), problems) : null;
  const slstm = needsSlstm
    ? slstmFromOfficial(
        slstmBlock!.slstm as FieldValues,
        slstmBlock!.feedforward as FieldValues | null,
        copies,
        { layer: joinPath(at('slstm_block'), 'slstm'), feedforward: joinPath(at('slstm_block'), 'feedforward') },
        problems,
      )
    : null;
  if (mlstm === undefined || slstm === undefined) return undefined;
  return { mlstm, slstm };
}

function specFromFields(top: FieldValues, name: string, at: (name: string) => string, problems: ImportProblems): ModelSpec | undefined {
  checkTopLevel(top, at, problems);
  if (problems.errors.length > 0) return undefined;
  const slstmAt = slstmPositions(top, at, problems);
  if (slstmAt === undefined) return undefined;
  const copies: TopLevelCopies = {
    embeddingDim: top.embedding_dim as number,
    bias: top.bias as boolean,
    dropout: top.dropout as number,
  };
  const templates = blockTemplates(top, slstmAt, copies, at, problems);
  if (templates === undefined) return undefined;
  const numBlocks = top.num_blocks as number;
  const contextLength = top.context_length as number;
  return {
    name,
    vocabSize: top.vocab_size as number,
    embeddingDim: copies.embeddingDim,
    numBlocks,
    contextLength,
    slstmAt,
    tieWeights: top.tie_weights as boolean,
    addPostBlocksNorm: top.add_post_blocks_norm as boolean,
    bias: copies.bias,
    dropout: copies.dropout,
    weightDecayOnEmbedding: top.weight_decay_on_embedding as boolean,
    addEmbeddingDropout: top.add_embedding_dropout as boolean,
    layerNormEps: OFFICIAL_LAYER_NORM_EPS,
    mlstmCellEps: OFFICIAL_MLSTM_CELL_EPS,
    precision: 'f32',
    mlstm: templates.mlstm,
    slstm: templates.slstm,
    blocks: blockSpecs(numBlocks, slstmAt, templates.mlstm, templates.slstm),
    train: defaultTrainSpec(contextLength),
  };
}

/** The value at a dotted path of a nested dict, or undefined when some step is missing or null. */
function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const step of path) {
    if (!isMapping(node) || !Object.hasOwn(node, step)) return undefined;
    node = node[step];
  }
  return node;
}

/** Derived fields the input spelled out with a value the official code would overwrite. */
function reportIgnoredDerived(given: readonly GivenDerived[], canonical: Record<string, unknown>, prefix: string, problems: ImportProblems): void {
  for (const { path, value } of given) {
    const relative = prefix === '' ? path : path.slice(prefix.length + 1);
    const derived = valueAt(canonical, relative.split('.'));
    if (derived === undefined || JSON.stringify(derived) === JSON.stringify(value)) continue;
    problems.warn(path, `${describeValue(value)} is ignored: the official code derives this field (${describeValue(derived)} here)`);
  }
}

/**
 * Reads an official model config (parsed YAML/JSON) into a ModelSpec named `name`, with training
 * settings at language.md's defaults. `spec` is set exactly when `errors` is empty.
 */
export function specFromOfficialConfig(config: unknown, name: string, options: OfficialImportOptions = {}): OfficialImport {
  const prefix = options.path ?? '';
  const problems = new ImportProblems();
  const done = (spec?: ModelSpec): OfficialImport =>
    spec === undefined || problems.errors.length > 0
      ? { errors: problems.errors, warnings: problems.warnings }
      : { spec, errors: [], warnings: problems.warnings };
  if (!isMapping(config)) {
    problems.error(prefix === '' ? 'config' : prefix, `expected a mapping of xLSTMLMModelConfig fields, got ${describeValue(config)}`);
    return done();
  }
  const givenDerived: GivenDerived[] = [];
  const top = readFields(config, LM_MODEL_FIELDS, prefix, { problems, givenDerived });
  // semantic checks assume well-typed values, so type errors stop here
  if (problems.errors.length > 0) return done();
  const spec = specFromFields(top, name, (field) => joinPath(prefix, field), problems);
  if (spec !== undefined) reportIgnoredDerived(givenDerived, officialConfigFromSpec(spec), prefix, problems);
  return done(spec);
}
