/**
 * Official config dict → YAML or JSON text. Fields the official dataclasses type as float are written
 * as floats (`2.0`, not `2`), as Python writes them, so the text reads like the official dumps and
 * dacite sees the types it expects.
 */

import { Document, isMap, isScalar, type YAMLMap } from 'yaml';
import { LM_MODEL_FIELDS, type OfficialField, type OfficialType } from './official-schema.js';
import type { ConfigFormat } from './read-config.js';

function unwrap(type: OfficialType): OfficialType {
  return type.kind === 'optional' ? unwrap(type.of) : type;
}

function isFloatType(type: OfficialType): boolean {
  const t = unwrap(type);
  return t.kind === 'float' || t.kind === 'float_or_floats';
}

function floatText(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** JSON with one-space indentation, like `json.dumps(..., indent=1)` of the golden files. */
function jsonText(value: unknown, type: OfficialType | undefined, depth: number): string {
  const pad = ' '.repeat(depth + 1);
  const close = ' '.repeat(depth);
  if (typeof value === 'number' && type !== undefined && isFloatType(type)) return floatText(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => pad + jsonText(v, type, depth + 1)).join(',\n')}\n${close}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    const t = type === undefined ? undefined : unwrap(type);
    const fields = t?.kind === 'config' ? t.fields : [];
    const body = entries.map(([k, v]) => `${pad}${JSON.stringify(k)}: ${jsonText(v, fields.find((f) => f.name === k)?.type, depth + 1)}`);
    return `{\n${body.join(',\n')}\n${close}}`;
  }
  return JSON.stringify(value);
}

/** Marks the float fields of a YAML map (and of the configs nested in it) to print with a fraction. */
function markFloats(map: YAMLMap, fields: readonly OfficialField[]): void {
  for (const field of fields) {
    const node = map.get(field.name, true);
    const type = unwrap(field.type);
    if (isScalar(node) && isFloatType(type)) node.minFractionDigits = 1;
    else if (isMap(node) && type.kind === 'config') markFloats(node, type.fields);
  }
}

export function formatOfficialConfig(config: Record<string, unknown>, format: ConfigFormat): string {
  if (format === 'json') return `${jsonText(config, { kind: 'config', fields: LM_MODEL_FIELDS }, 0)}\n`;
  // YAML 1.1, as OmegaConf reads it: strings such as `yes` or `0,1` get quoted where 1.1 needs it
  const doc = new Document(config, { version: '1.1' });
  markFloats(doc.contents as YAMLMap, LM_MODEL_FIELDS);
  return doc.toString();
}
