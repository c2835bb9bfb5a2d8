/**
 * ModelSpec → readable `.xlstm` source that the checker resolves back to the same spec. Key names,
 * value types and defaults come from the checker's schema; values are read from the official config
 * dict through each key's `official` field name, so this file holds no second field mapping.
 */

import type { ModelSpec } from '../spec.js';
import { ratioPlacement } from '../check/placement.js';
import { SCHEMA, type KeySchema, type ScopeName, type ValueType } from '../check/schema.js';
import { formatFloat } from '../check/values.js';
import { deepEqual } from './deep-equal.js';
import { officialBlockConfigsFromSpec, officialConfigFromSpec } from './to-official.js';
import { trainKeyValues } from './train-keys.js';

export interface XlstmSourceOptions {
  /** What the model was imported from, for the header comment (e.g. `configs/run.yaml`). */
  importedFrom?: string;
  /** Write every key, not only those that differ from their default. */
  writeDefaults?: boolean;
}

type Dict = Record<string, unknown>;
/** Language key → value, in schema order; `undefined` values are not written. */
type Values = Record<string, unknown>;

const INDENT = '  ';

function formatValue(value: unknown, type: ValueType): string {
  if (value === null) return 'null';
  switch (type.kind) {
    case 'int':
      return String(value);
    case 'float':
      return formatFloat(value as number);
    case 'bool':
      return String(value);
    case 'string':
      return JSON.stringify(value);
    case 'enum':
      // the language spells `relu^2` as the identifier `relu2`
      return type.aliases?.[value as string] ?? (value as string);
    case 'int-list':
      return value === 'all' ? 'all' : `[${(value as number[]).join(', ')}]`;
    case 'float-pair':
      return `(${(value as number[]).map(formatFloat).join(', ')})`;
    case 'ratio':
      throw new Error('xlstmSourceFromSpec: ratios are written by placementLine');
  }
}

/** `key value` lines of one scope, skipping keys equal to `base` (the defaults, or a template). */
function keyLines(scope: ScopeName, values: Values, base: (key: string, schema: KeySchema) => unknown, writeAll: boolean): string[] {
  const lines: string[] = [];
  for (const [key, schema] of Object.entries(SCHEMA[scope].keys)) {
    if (!Object.hasOwn(values, key) || values[key] === undefined) continue;
    if (!writeAll && deepEqual(values[key], base(key, schema))) continue;
    lines.push(`${key} ${formatValue(values[key], schema.type)}`);
  }
  return lines;
}

const schemaDefault = (_key: string, schema: KeySchema): unknown => schema.default;

/** The language keys of a scope that have an official field, read from one official config dict. */
function officialValues(scope: ScopeName, official: Dict): Values {
  const out: Values = {};
  for (const [key, schema] of Object.entries(SCHEMA[scope].keys)) {
    if (schema.official !== undefined && Object.hasOwn(official, schema.official)) out[key] = official[schema.official];
  }
  return out;
}

/** `name { lines }`, or nothing when there is nothing to say and the section may be left out. */
function section(name: string, lines: readonly string[], keepEmpty: boolean): string[] {
  if (lines.length === 0) return keepEmpty ? [`${name} {}`] : [];
  return [`${name} {`, ...lines.map((l) => INDENT + l), '}'];
}

/**
 * The smallest ratio a:b whose placement rule gives exactly these positions, if any: the paper's
 * notation reads better than a list, but only when it means the same blocks.
 */
function ratioFor(numBlocks: number, slstmAt: readonly number[]): { mlstm: number; slstm: number } | undefined {
  for (let g = 1; g <= numBlocks; g++) {
    if (numBlocks % g !== 0 || (slstmAt.length * g) % numBlocks !== 0) continue;
    const ratio = { mlstm: g - (slstmAt.length * g) / numBlocks, slstm: (slstmAt.length * g) / numBlocks };
    if (deepEqual(ratioPlacement(numBlocks, ratio), slstmAt)) return ratio;
  }
  return undefined;
}

function placementLine(spec: ModelSpec): string[] {
  const at = spec.slstmAt;
  if (at.length === 0) return [];
  if (at.length === spec.numBlocks) return ['slstm_at all'];
  const ratio = ratioFor(spec.numBlocks, at);
  if (ratio === undefined) return [`slstm_at [${at.join(', ')}]`];
  return [`ratio ${ratio.mlstm}:${ratio.slstm} // sLSTM blocks at [${at.join(', ')}]`];
}

function modelKeyLines(spec: ModelSpec, official: Dict, writeAll: boolean): string[] {
  const values: Values = {
    ...officialValues('model', official),
    // written by placementLine
    slstm_at: undefined,
    norm_eps: spec.layerNormEps,
    mlstm_eps: spec.mlstmCellEps,
    precision: spec.precision,
  };
  const required = Object.entries(SCHEMA.model.keys).filter(([, s]) => s.required === true);
  const requiredLines = required.map(([key, s]) => `${key} ${formatValue(values[key], s.type)}`);
  for (const [key] of required) values[key] = undefined;
  return [...requiredLines, ...placementLine(spec), ...keyLines('model', values, schemaDefault, writeAll)];
}

function slstmSectionLines(official: Dict, ffnOfficial: Dict | null, base: { layer: Values; ffn: Values | null } | null, writeAll: boolean): string[] {
  const layerBase = base === null ? schemaDefault : (key: string) => base.layer[key];
  const lines = keyLines('slstm', officialValues('slstm', official), layerBase, writeAll);
  if (ffnOfficial === null) {
    if (base === null || base.ffn !== null) lines.push('ffn null');
  } else {
    const ffnBase = base?.ffn ? (key: string) => base.ffn![key] : schemaDefault;
    // under a template with `ffn null`, even an all-default ffn must be written to exist
    const keepEmpty = base !== null && base.ffn === null;
    lines.push(...section('ffn', keyLines('ffn', officialValues('ffn', ffnOfficial), ffnBase, writeAll), keepEmpty));
  }
  if (base === null) lines.push(...section('cuda', keyLines('cuda', officialValues('cuda', official), schemaDefault, writeAll), false));
  return lines;
}

/** `block i { }` for each block whose layer differs from its kind's template (per-block overrides). */
function blockOverrideLines(spec: ModelSpec, official: Dict): string[] {
  const mlstmTemplate = (official.mlstm_block as Dict | null)?.mlstm as Dict | undefined;
  const slstmBlock = official.slstm_block as Dict | null;
  const lines: string[] = [];
  officialBlockConfigsFromSpec(spec).forEach((block, index) => {
    let body: string[];
    if (block.mlstm !== null) {
      const template = officialValues('mlstm', mlstmTemplate!);
      body = section('mlstm', keyLines('mlstm', officialValues('mlstm', block.mlstm as Dict), (key) => template[key], false), false);
    } else {
      const ffnTemplate = slstmBlock!.feedforward as Dict | null;
      const base = {
        layer: officialValues('slstm', slstmBlock!.slstm as Dict),
        ffn: ffnTemplate === null ? null : officialValues('ffn', ffnTemplate),
      };
      body = section('slstm', slstmSectionLines(block.slstm as Dict, block.feedforward as Dict | null, base, false), false);
    }
    lines.push(...section(`block ${index}`, body, false));
  });
  return lines;
}

function layerSections(spec: ModelSpec, official: Dict, writeAll: boolean): string[] {
  const lines: string[] = [];
  if (spec.mlstm !== null) {
    // a template no block uses is only kept by writing its section
    const unused = spec.blocks.every((b) => b.kind !== 'mlstm');
    const mlstm = (official.mlstm_block as Dict).mlstm as Dict;
    lines.push(...section('mlstm', keyLines('mlstm', officialValues('mlstm', mlstm), schemaDefault, writeAll), unused));
  }
  if (spec.slstm !== null) {
    const unused = spec.blocks.every((b) => b.kind !== 'slstm');
    const block = official.slstm_block as Dict;
    lines.push(...section('slstm', slstmSectionLines(block.slstm as Dict, block.feedforward as Dict | null, null, writeAll), unused));
  }
  return lines;
}

function header(options: XlstmSourceOptions): string[] {
  const lines =
    options.importedFrom === undefined
      ? ['// Generated from a resolved model by xlstm-dsl.']
      : [`// Imported by \`xlstm import-config\` from ${options.importedFrom}`, '// (an official xLSTMLMModelConfig, NX-AI/xlstm 2.0.5).'];
  if (!options.writeDefaults) lines.push('// Keys at their default value are left out; `xlstm check --explain` shows every resolved value.');
  return lines;
}

const KEYWORDS = new Set(['model', 'extends', 'let', 'import', 'true', 'false', 'null', 'not']);

/** Whether `name` can name a model: an identifier that is not a keyword. */
export function isModelName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !KEYWORDS.has(name);
}

/** A `.xlstm` file declaring `spec` as one model. */
export function xlstmSourceFromSpec(spec: ModelSpec, options: XlstmSourceOptions = {}): string {
  if (!isModelName(spec.name)) throw new Error(`xlstmSourceFromSpec: ${JSON.stringify(spec.name)} cannot name a model`);
  const writeAll = options.writeDefaults === true;
  const official = officialConfigFromSpec(spec);
  const trainLines = keyLines('train', trainKeyValues(spec.train), (key, s) => (s.defaultFrom === 'context' ? spec.contextLength : s.default), writeAll);
  // a blank line between the model's keys, its layer sections, block overrides and training
  const groups = [
    modelKeyLines(spec, official, writeAll),
    layerSections(spec, official, writeAll),
    blockOverrideLines(spec, official),
    section('train', trainLines, false),
  ].filter((g) => g.length > 0);
  const body = groups.flatMap((g, i) => (i === 0 ? g : ['', ...g])).map((l) => (l === '' ? l : INDENT + l));
  return [...header(options), '', `model ${spec.name} {`, ...body, '}', ''].join('\n');
}
