/**
 * Training data as token ids. The file name's extension decides how its bytes are read:
 *   `.u16`, `.bin`  uint16 little-endian token ids (the nanoGPT `.bin` convention),
 *   `.i32`          int32 little-endian token ids,
 *   anything else   byte-level: each byte is a token (vocab 256), so plain text trains as is.
 * Every id must lie in [0, vocab) of the model.
 */
import { UserError } from '../errors.js';

export type TokenArray = Uint8Array | Uint16Array | Int32Array;
export type TokenFormat = 'bytes' | 'u16' | 'i32';

const FORMATS: Record<Exclude<TokenFormat, 'bytes'>, { extensions: string[]; bytes: number; what: string }> = {
  u16: { extensions: ['.u16', '.bin'], bytes: 2, what: 'uint16 token ids' },
  i32: { extensions: ['.i32'], bytes: 4, what: 'int32 token ids' },
};

export function tokenFormatOf(fileName: string): TokenFormat {
  const lower = fileName.toLowerCase();
  for (const [format, f] of Object.entries(FORMATS)) {
    if (f.extensions.some((e) => lower.endsWith(e))) return format as TokenFormat;
  }
  return 'bytes';
}

/** The token ids a file's bytes hold in `format`; `label` (the path) names the file in errors. */
export function decodeTokens(bytes: Uint8Array, format: TokenFormat, label: string): TokenArray {
  if (bytes.length === 0) throw new UserError(`${label}: the file is empty; training needs data`);
  if (format === 'bytes') return bytes;
  const f = FORMATS[format];
  if (bytes.length % f.bytes !== 0) {
    throw new UserError(`${label}: ${bytes.length} bytes is not a whole number of ${f.what} (${f.bytes} bytes each); is it really a .${format} file?`);
  }
  // a copy starts at offset 0, so the typed array is aligned (Node's Buffer.slice would be a view);
  // little-endian hosts only, as the safetensors I/O
  const aligned = new Uint8Array(bytes).buffer;
  return format === 'u16' ? new Uint16Array(aligned) : new Int32Array(aligned);
}

/** Refuses ids outside [0, vocab), naming the first one and its position. */
export function checkVocabulary(tokens: TokenArray, vocab: number, format: TokenFormat, label: string, model: string): void {
  for (let i = 0; i < tokens.length; i++) {
    const id = tokens[i]!;
    if (id >= 0 && id < vocab) continue;
    if (format === 'bytes') {
      throw new UserError(
        `${label}: byte ${id} at offset ${i} is outside the vocabulary [0, ${vocab}) of ${model}; ` +
          'byte-level text needs vocab 256 (or give token ids in a .u16 or .i32 file)',
      );
    }
    throw new UserError(`${label}: token ${id} at index ${i} is outside the vocabulary [0, ${vocab}) of ${model}`);
  }
}

/** One array holding `parts` in order, in the narrowest element type that holds them all. */
export function concatTokens(parts: readonly TokenArray[]): TokenArray {
  if (parts.length === 1) return parts[0]!;
  const length = parts.reduce((n, p) => n + p.length, 0);
  const out =
    parts.some((p) => p instanceof Int32Array) ? new Int32Array(length)
    : parts.some((p) => p instanceof Uint16Array) ? new Uint16Array(length)
    : new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The share of the data held out for validation when no validation file is given. */
export const HELD_OUT_FRACTION = 0.1;

export interface TrainValSplit {
  train: TokenArray;
  /** null when the data is too short to hold out a validation window and still train. */
  val: TokenArray | null;
}

/**
 * Holds out the last 10% of the tokens (at least one window of `windowLength` tokens) for
 * validation, when what remains still holds a training window; otherwise nothing is held out.
 */
export function holdOutTail(tokens: TokenArray, windowLength: number): TrainValSplit {
  const held = Math.max(windowLength, Math.ceil(tokens.length * HELD_OUT_FRACTION));
  if (tokens.length - held < windowLength) return { train: tokens, val: null };
  return { train: tokens.subarray(0, tokens.length - held), val: tokens.subarray(tokens.length - held) };
}

/** Refuses data with fewer than `windowLength` tokens (one training sequence plus its last target). */
export function checkLongEnough(tokens: TokenArray, windowLength: number, label: string): void {
  if (tokens.length < windowLength) {
    throw new UserError(
      `${label}: ${tokens.length} tokens is shorter than one training window of ${windowLength} (sequence length ${windowLength - 1} + 1); ` +
        'use more data or a smaller --seq',
    );
  }
}

/** FNV-1a (32-bit) over the ids: recorded in checkpoints so a resume on other data can say so. */
export function tokensFingerprint(tokens: TokenArray): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < tokens.length; i++) h = Math.imul(h ^ tokens[i]!, 0x01000193) >>> 0;
  return `${tokens.length}:${h.toString(16).padStart(8, '0')}`;
}
