import { closest } from '../check/suggest.js';
import { describeValue, joinPath, type ImportProblems } from './import-problems.js';
import type { OfficialField, OfficialType } from './official-schema.js';

/** One config's fields after defaults are filled in; nested configs are `FieldValues` or null. */
export type FieldValues = { [name: string]: unknown };

/** A derived field the input gave explicitly: the official code overwrites it, so it is only compared. */
export interface GivenDerived {
  path: string;
  value: unknown;
}

export interface ReadContext {
  problems: ImportProblems;
  givenDerived: GivenDerived[];
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expected(what: string, value: unknown, hint: string | undefined): string {
  const base = `expected ${what}, got ${describeValue(value)}`;
  if (hint !== undefined) return `${base}; ${hint}`;
  if (typeof value === 'string' && value.includes('${')) {
    return `${base} (an unresolved OmegaConf interpolation; write the value itself)`;
  }
  return base;
}

/** Type-checks one value as dacite (strict) would, reading nested configs; undefined when it does not fit. */
function readValue(value: unknown, type: OfficialType, path: string, ctx: ReadContext): unknown {
  const fail = (what: string, hint?: string): undefined => {
    ctx.problems.error(path, expected(what, value, hint));
    return undefined;
  };
  switch (type.kind) {
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) ? value : fail('an integer');
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) ? value : fail('a number');
    case 'bool':
      return typeof value === 'boolean' ? value : fail('true or false');
    case 'string':
      return typeof value === 'string' ? value : fail('a string');
    case 'enum': {
      if (typeof value === 'string' && type.values.includes(value)) return value;
      const options = type.values.map((v) => JSON.stringify(v)).join(', ');
      const guess = typeof value === 'string' ? closest(value, type.values) : undefined;
      return fail(`one of ${options}`, guess === undefined ? undefined : `did you mean "${guess}"?`);
    }
    case 'mapping':
      return isMapping(value) ? value : fail('a mapping');
    case 'float_or_floats':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v))) return value;
      return fail('a number or a list of numbers');
    case 'slstm_at':
      if (value === 'all') return value;
      if (Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isInteger(v))) return value;
      return fail('a list of block indices or "all"');
    case 'config':
      return isMapping(value) ? readFields(value, type.fields, path, ctx) : fail('a mapping');
    case 'optional':
      return value === null ? null : readValue(value, type.of, path, ctx);
  }
}

/**
 * Reads one config mapping against its dataclass fields: fills every omitted field with its default,
 * type-checks the given ones, reports unknown keys (dacite strict rejects them), and records explicitly
 * given derived fields. Fields that fail their type check are left undefined.
 */
export function readFields(raw: Record<string, unknown>, fields: readonly OfficialField[], prefix: string, ctx: ReadContext): FieldValues {
  const names = fields.map((f) => f.name);
  for (const key of Object.keys(raw)) {
    if (names.includes(key)) continue;
    const guess = closest(key, names);
    ctx.problems.error(joinPath(prefix, key), `unknown field${guess === undefined ? '' : ` (did you mean "${guess}"?)`}`);
  }
  const out: FieldValues = {};
  for (const field of fields) {
    const path = joinPath(prefix, field.name);
    if (!Object.hasOwn(raw, field.name)) {
      out[field.name] = defaultValue(field, path, ctx);
      continue;
    }
    const value = readValue(raw[field.name], field.type, path, ctx);
    out[field.name] = value;
    if (field.derived && value !== undefined) ctx.givenDerived.push({ path, value });
  }
  return out;
}

function defaultValue(field: OfficialField, path: string, ctx: ReadContext): unknown {
  const config = field.type.kind === 'optional' ? field.type.of : field.type;
  if (config.kind === 'config' && field.default !== null) return readFields({}, config.fields, path, ctx);
  return Array.isArray(field.default) ? [...field.default] : field.default;
}
