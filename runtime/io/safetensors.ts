/**
 * The safetensors format (Hugging Face), read and written without Node APIs so browsers can use it.
 *
 * Layout: 8 bytes header length N (u64 little endian), N bytes of UTF-8 JSON header, then the data
 * buffer. The header maps tensor names to `{dtype, shape, data_offsets: [begin, end]}` (offsets
 * relative to the data buffer) plus an optional `__metadata__` string → string map.
 *
 * Reading enforces the rules of the reference implementation (the `safetensors` Rust crate): at
 * least 8 bytes, N ≤ 100 MB and within the file, UTF-8 JSON object header, known dtypes,
 * non-negative integer shapes and offsets, tensors sorted by offset contiguous from 0 without gaps
 * or overlaps and covering the whole data buffer, and each tensor's byte length equal to
 * product(shape) × dtype size with 64-bit overflow checks. Stricter than the crate: duplicate keys
 * anywhere in the header are rejected (JSON.parse would silently keep the last one). Every violation
 * is a one-line SafetensorsError naming the file and the tensor.
 */
import { UserError } from '../errors.js';

/** Element types this runtime reads and writes (the byte-sized subset of the reference crate's). */
export type Dtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'U64'
  | 'I32'
  | 'U32'
  | 'I16'
  | 'U16'
  | 'I8'
  | 'U8'
  | 'BOOL';

/** F16 and BF16 are kept as raw bit patterns (Uint16Array); `tensorToFloat64` decodes them. */
export type TensorData =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

/** A dense row-major tensor; `data.length` is the product of `shape` (1 for shape `[]`). */
export interface Tensor {
  dtype: Dtype;
  shape: number[];
  data: TensorData;
}

/** One header entry, validated against the data buffer it was parsed with. */
export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** [begin, end) in bytes, relative to the start of the data buffer. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** In data-buffer order (sorted by offset), which for files written here is the order given. */
  tensors: TensorInfo[];
  metadata: Record<string, string>;
  /** File position of the data buffer: 8 + header length. */
  dataStart: number;
}

export interface SafetensorsContents {
  /** In data-buffer order. */
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** Tensors to write, in file order: a Map or a list of [name, tensor] pairs. */
export type NamedTensors = Map<string, Tensor> | Iterable<readonly [string, Tensor]>;

/** A malformed or unusable safetensors file: always the user's file, never our bug. */
export class SafetensorsError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

/** The reference implementation's header limit; anything longer is refused before reading it. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';
const U64_MAX = (1n << 64n) - 1n;

type TensorDataConstructor = { new (length: number): TensorData; readonly BYTES_PER_ELEMENT: number };

const DTYPE_ARRAYS: Record<Dtype, TensorDataConstructor> = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
  I32: Int32Array,
  U32: Uint32Array,
  I16: Int16Array,
  U16: Uint16Array,
  I8: Int8Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
};

// Tensor bytes are copied to and from typed arrays as is, which is only little endian on a
// little-endian host. Every browser and Node platform in use is; refuse loudly otherwise.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && Object.hasOwn(DTYPE_ARRAYS, value);
}

export function dtypeByteSize(dtype: Dtype): number {
  return DTYPE_ARRAYS[dtype].BYTES_PER_ELEMENT;
}

/** How messages name a tensor: `weights.safetensors: tensor "lm_head.weight"`. */
export function describeTensor(label: string, name: string): string {
  return `${label}: tensor ${JSON.stringify(name)}`;
}

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.every(isSize);
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A short, single-line rendering of a header value for messages (headers can be 100 MB). */
function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length <= 60 ? text : `${text.slice(0, 57)}...`;
}

function assertLittleEndianHost(): void {
  if (!HOST_IS_LITTLE_ENDIAN) throw new Error('safetensors I/O needs a little-endian host');
}

/**
 * Validates the 8-byte length prefix against the file size and returns the header length N.
 * `prefix` holds the first min(8, fileLength) bytes of the file.
 */
export function parseHeaderLength(prefix: Uint8Array, fileLength: number, label: string): number {
  if (fileLength < 8 || prefix.length < 8) {
    throw new SafetensorsError(
      `${label}: ${fileLength} bytes is too small for a safetensors file (the header length alone takes 8)`,
    );
  }
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(
      `${label}: header length ${length} exceeds the limit of ${MAX_HEADER_BYTES} bytes; not a safetensors file?`,
    );
  }
  const n = Number(length);
  if (8 + n > fileLength) {
    throw new SafetensorsError(
      `${label}: header length ${n} runs past the end of the ${fileLength}-byte file; truncated or not a safetensors file?`,
    );
  }
  return n;
}

function decodeHeaderText(headerBytes: Uint8Array, label: string): string {
  try {
    // ignoreBOM keeps a byte-order mark in the text, so JSON.parse rejects it as the crate does.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError(`${label}: header is not valid UTF-8`);
  }
}

function parseHeaderJson(text: string, label: string): Record<string, unknown> {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').slice(0, 160);
    throw new SafetensorsError(`${label}: header is not valid JSON (${reason})`);
  }
  if (!isPlainObject(root)) throw new SafetensorsError(`${label}: header must be a JSON object, got ${kindOf(root)}`);
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) {
    const key = JSON.stringify(duplicate.key);
    if (duplicate.entry === undefined) throw new SafetensorsError(`${label}: duplicate entry ${key} in header`);
    const where = duplicate.entry === METADATA_KEY ? `${label}: ${METADATA_KEY}` : describeTensor(label, duplicate.entry);
    throw new SafetensorsError(`${where}: duplicate key ${key} in its header entry`);
  }
  return root;
}

/** End index (exclusive) of the JSON string literal whose opening quote is at `start`. */
function endOfJsonString(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const quote = text.indexOf('"', i);
    if (quote < 0) return text.length;
    let backslashes = 0;
    while (text[quote - 1 - backslashes] === '\\') backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    i = quote + 1;
  }
}

/**
 * The first key that appears twice in one object of `text`, which must be valid JSON. `entry` is
 * the top-level key whose value contains that object (undefined when the top level itself repeats
 * a key). Iterative, so deeply nested headers cannot overflow the stack.
 */
function findDuplicateKey(text: string): { key: string; entry: string | undefined } | undefined {
  // One frame per open container: the keys seen so far (undefined for arrays) and its top-level entry.
  const frames: { keys: Set<string> | undefined; entry: string | undefined }[] = [];
  let expectingKey = false;
  let lastKey: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = endOfJsonString(text, i);
      const frame = frames[frames.length - 1];
      if (expectingKey && frame?.keys !== undefined) {
        const key = JSON.parse(text.slice(i, end)) as string;
        if (frame.keys.has(key)) return { key, entry: frame.entry };
        frame.keys.add(key);
        lastKey = key;
        expectingKey = false;
      }
      i = end - 1;
    } else if (c === '{' || c === '[') {
      const entry = frames.length === 1 ? lastKey : frames[frames.length - 1]?.entry;
      frames.push({ keys: c === '{' ? new Set() : undefined, entry });
      expectingKey = c === '{';
    } else if (c === '}' || c === ']') {
      frames.pop();
    } else if (c === ',') {
      expectingKey = frames[frames.length - 1]?.keys !== undefined;
    }
  }
  return undefined;
}

function parseMetadata(value: unknown, label: string): Record<string, string> {
  if (value === null) return {};
  if (!isPlainObject(value)) {
    throw new SafetensorsError(`${label}: ${METADATA_KEY} must be an object of strings, got ${kindOf(value)}`);
  }
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw new SafetensorsError(
        `${label}: ${METADATA_KEY} value of ${JSON.stringify(key)} must be a string, got ${kindOf(entry)} ${preview(entry)}`,
      );
    }
  }
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function parseTensorEntry(name: string, value: unknown, label: string): TensorInfo {
  const where = describeTensor(label, name);
  if (!isPlainObject(value)) {
    throw new SafetensorsError(`${where}: header entry must be an object with dtype, shape and data_offsets, got ${kindOf(value)}`);
  }
  const { dtype, shape, data_offsets: offsets } = value;
  if (!isDtype(dtype)) {
    const shown = dtype === undefined ? 'missing dtype' : `unsupported dtype ${preview(dtype)}`;
    throw new SafetensorsError(`${where}: ${shown} (supported: ${Object.keys(DTYPE_ARRAYS).join(', ')})`);
  }
  if (!isShape(shape)) {
    const shown = shape === undefined ? 'missing' : preview(shape);
    throw new SafetensorsError(`${where}: shape must be an array of non-negative integers, got ${shown}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSize)) {
    const shown = offsets === undefined ? 'missing' : preview(offsets);
    throw new SafetensorsError(`${where}: data_offsets must be [begin, end] with non-negative integers, got ${shown}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw new SafetensorsError(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  // JSON "-0" parses as -0; normalise so shapes compare and print as written by everyone else.
  return { name, dtype, shape: shape.map((dim) => dim + 0), dataOffsets: [begin, end] };
}

/** product(shape) × dtype size, or undefined when an intermediate product exceeds 64 bits (as the crate checks). */
function checkedByteLength(shape: readonly number[], dtype: Dtype): bigint | undefined {
  let product = 1n;
  for (const dim of [...shape, dtypeByteSize(dtype)]) {
    product *= BigInt(dim);
    if (product > U64_MAX) return undefined;
  }
  return product;
}

function checkLayout(tensors: readonly TensorInfo[], dataLength: number, label: string): void {
  let expectedBegin = 0;
  let previous: TensorInfo | undefined;
  for (const info of tensors) {
    const where = describeTensor(label, info.name);
    const [begin, end] = info.dataOffsets;
    if (begin > expectedBegin) {
      const after = previous === undefined ? 'the start of the data buffer' : `tensor ${JSON.stringify(previous.name)}`;
      throw new SafetensorsError(
        `${where}: data_offsets [${begin}, ${end}] leave a gap of ${begin - expectedBegin} bytes after ${after}`,
      );
    }
    if (begin < expectedBegin && previous !== undefined) {
      throw new SafetensorsError(
        `${where}: data_offsets [${begin}, ${end}] overlap tensor ${JSON.stringify(previous.name)} ` +
          `(data_offsets [${previous.dataOffsets[0]}, ${previous.dataOffsets[1]}])`,
      );
    }
    const needed = checkedByteLength(info.shape, info.dtype);
    if (needed === undefined) {
      throw new SafetensorsError(`${where}: shape ${formatShape(info.shape)} of ${info.dtype} overflows a 64-bit byte size`);
    }
    if (needed !== BigInt(end - begin)) {
      throw new SafetensorsError(
        `${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but shape ${formatShape(info.shape)} ` +
          `of ${info.dtype} needs ${needed}`,
      );
    }
    expectedBegin = end;
    previous = info;
  }
  if (expectedBegin > dataLength) {
    throw new SafetensorsError(
      `${label}: file is truncated: the tensors need ${expectedBegin} data bytes but only ${dataLength} follow the header`,
    );
  }
  if (expectedBegin < dataLength) {
    throw new SafetensorsError(
      `${label}: ${dataLength - expectedBegin} trailing bytes after the last tensor: the tensors cover ` +
        `${expectedBegin} of the ${dataLength} data bytes`,
    );
  }
}

/**
 * Parses and validates the JSON header (the N bytes after the length prefix) against a data buffer
 * of `totalDataLength` bytes (file size − 8 − N).
 */
export function parseSafetensorsHeader(headerBytes: Uint8Array, totalDataLength: number, label: string): SafetensorsHeader {
  const root = parseHeaderJson(decodeHeaderText(headerBytes, label), label);
  let metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, value] of Object.entries(root)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value, label);
    else tensors.push(parseTensorEntry(name, value, label));
  }
  tensors.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  checkLayout(tensors, totalDataLength, label);
  return { tensors, metadata, dataStart: 8 + headerBytes.length };
}

/**
 * A zero-filled tensor with its own (aligned) buffer for a header entry, ready to receive the
 * entry's bytes through `tensorDataBytes`.
 */
export function allocateTensor(info: TensorInfo, label: string): Tensor {
  const length = elementCount(info.shape);
  let data: TensorData;
  try {
    data = new DTYPE_ARRAYS[info.dtype](length);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new SafetensorsError(
      `${describeTensor(label, info.name)}: cannot allocate ${length * dtypeByteSize(info.dtype)} bytes (${reason})`,
    );
  }
  return { dtype: info.dtype, shape: [...info.shape], data };
}

/** The bytes of a tensor's data (a view, not a copy), in file byte order. */
export function tensorDataBytes(data: TensorData): Uint8Array {
  assertLittleEndianHost();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Parses a whole safetensors file held in memory. Every tensor gets its own aligned copy of its
 * bytes, so unaligned offsets are fine and the result does not keep `bytes` alive.
 */
export function parseSafetensors(bytes: Uint8Array, label: string): SafetensorsContents {
  const headerLength = parseHeaderLength(bytes.subarray(0, 8), bytes.length, label);
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + headerLength), bytes.length - 8 - headerLength, label);
  const tensors = new Map<string, Tensor>();
  for (const info of header.tensors) {
    const tensor = allocateTensor(info, label);
    const [begin, end] = info.dataOffsets;
    tensorDataBytes(tensor.data).set(bytes.subarray(header.dataStart + begin, header.dataStart + end));
    tensors.set(info.name, tensor);
  }
  return { tensors, metadata: header.metadata };
}

function checkTensorForWriting(name: string, tensor: Tensor): void {
  const where = `tensor ${JSON.stringify(name)}`;
  if (name === METADATA_KEY) throw new Error(`${where}: the name is reserved for metadata`);
  if (!isDtype(tensor.dtype)) throw new Error(`${where}: unsupported dtype ${preview(tensor.dtype)}`);
  if (!isShape(tensor.shape)) throw new Error(`${where}: invalid shape ${preview(tensor.shape)}`);
  if (!(tensor.data instanceof DTYPE_ARRAYS[tensor.dtype])) {
    throw new Error(`${where}: ${tensor.dtype} data must be a ${DTYPE_ARRAYS[tensor.dtype].name}`);
  }
  if (tensor.data.length !== elementCount(tensor.shape)) {
    throw new Error(`${where}: shape ${formatShape(tensor.shape)} needs ${elementCount(tensor.shape)} elements, data has ${tensor.data.length}`);
  }
}

/**
 * The file as a list of chunks: length prefix and header first, then each tensor's bytes (views of
 * the tensors' own data, not copies), so writers can stream large files without concatenating.
 * Tensors are laid out contiguously in the order given; the header is padded with spaces to a
 * multiple of 8 bytes so the data buffer starts aligned. Invalid tensors are programming errors
 * (plain Error), not user errors.
 */
export function safetensorsChunks(tensors: NamedTensors, metadata?: Record<string, string>): Uint8Array[] {
  assertLittleEndianHost();
  const entries: string[] = [];
  const names = new Set<string>();
  const dataChunks: Uint8Array[] = [];
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') throw new Error(`metadata ${JSON.stringify(key)}: value must be a string`);
    }
    entries.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const [name, tensor] of tensors) {
    if (names.has(name)) throw new Error(`tensor ${JSON.stringify(name)}: given twice`);
    names.add(name);
    checkTensorForWriting(name, tensor);
    const bytes = tensorDataBytes(tensor.data);
    const info = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes.length] };
    // Built by hand rather than as one object: JS objects move integer-like keys first.
    entries.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    dataChunks.push(bytes);
    offset += bytes.length;
  }
  const json = new TextEncoder().encode(`{${entries.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  if (headerLength > MAX_HEADER_BYTES) throw new Error(`safetensors header of ${headerLength} bytes exceeds ${MAX_HEADER_BYTES}`);
  const head = new Uint8Array(8 + headerLength).fill(0x20);
  new DataView(head.buffer).setBigUint64(0, BigInt(headerLength), true);
  head.set(json, 8);
  return [head, ...dataChunks];
}

/** The complete file in one buffer; see `safetensorsChunks`. */
export function serializeSafetensors(tensors: NamedTensors, metadata?: Record<string, string>): Uint8Array {
  const chunks = safetensorsChunks(tensors, metadata);
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let position = 0;
  for (const chunk of chunks) {
    out.set(chunk, position);
    position += chunk.length;
  }
  return out;
}

function floatTensor(dtype: 'F32' | 'F64', shape: number[], data: ArrayLike<number> | undefined): Tensor {
  if (!isShape(shape)) throw new Error(`invalid shape ${preview(shape)}`);
  const length = elementCount(shape);
  const ArrayType = dtype === 'F32' ? Float32Array : Float64Array;
  const values = data === undefined ? new ArrayType(length) : data instanceof ArrayType ? data : ArrayType.from(data);
  if (values.length !== length) {
    throw new Error(`shape ${formatShape(shape)} needs ${length} elements, got ${values.length}`);
  }
  return { dtype, shape: [...shape], data: values };
}

/** An F32 tensor; a Float32Array `data` is used as is (not copied), other numbers are converted; no data = zeros. */
export function float32Tensor(shape: number[], data?: ArrayLike<number>): Tensor & { dtype: 'F32'; data: Float32Array } {
  return floatTensor('F32', shape, data) as Tensor & { dtype: 'F32'; data: Float32Array };
}

/** An F64 tensor; a Float64Array `data` is used as is (not copied), other numbers are converted; no data = zeros. */
export function float64Tensor(shape: number[], data?: ArrayLike<number>): Tensor & { dtype: 'F64'; data: Float64Array } {
  return floatTensor('F64', shape, data) as Tensor & { dtype: 'F64'; data: Float64Array };
}

function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function bfloat16ToFloat64(bits: Uint16Array): Float64Array {
  // A bfloat16 is the upper half of a float32.
  const wide = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) wide[i] = bits[i]! << 16;
  return Float64Array.from(new Float32Array(wide.buffer));
}

/**
 * The values as float64 (always a new array). F16/BF16 are decoded; I64/U64 must lie within
 * ±(2^53 − 1), where float64 is exact. `what` names the tensor in errors (see `describeTensor`).
 */
export function tensorToFloat64(t: Tensor, what = 'tensor'): Float64Array {
  switch (t.dtype) {
    case 'F16':
      return Float64Array.from(t.data as Uint16Array, halfToNumber);
    case 'BF16':
      return bfloat16ToFloat64(t.data as Uint16Array);
    case 'I64':
    case 'U64':
      return Float64Array.from(t.data as BigInt64Array | BigUint64Array, (value, index) => {
        const limit = BigInt(Number.MAX_SAFE_INTEGER);
        if (value > limit || value < -limit) {
          throw new SafetensorsError(`${what}: element ${index} is ${value}, beyond ±(2^53 − 1) where float64 is exact`);
        }
        return Number(value);
      });
    default:
      return Float64Array.from(t.data as ArrayLike<number>);
  }
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * Integer values (e.g. token ids) as int32 (always a new array), range-checked. Floating-point and
 * BOOL tensors are refused. `what` names the tensor in errors (see `describeTensor`).
 */
export function tensorToInt32(t: Tensor, what = 'tensor'): Int32Array {
  switch (t.dtype) {
    case 'I64':
    case 'U64':
    case 'I32':
    case 'U32':
    case 'I16':
    case 'U16':
    case 'I8':
    case 'U8':
      return Int32Array.from(t.data as ArrayLike<number | bigint>, (value, index) => {
        const n = Number(value);
        if (n < INT32_MIN || n > INT32_MAX) {
          throw new SafetensorsError(`${what}: element ${index} is ${value}, outside the int32 range`);
        }
        return n;
      });
    default:
      throw new SafetensorsError(`${what}: expected an integer tensor (I64, I32, I16, I8, U8, ...), got ${t.dtype}`);
  }
}
