import { beforeEach, describe, expect, it } from 'vitest';
import {
  float32Tensor,
  float64Tensor,
  parseSafetensors,
  parseSafetensorsHeader,
  SafetensorsError,
  serializeSafetensors,
  tensorToFloat64,
  tensorToInt32,
  type Dtype,
  type Tensor,
  type TensorData,
} from '../../../runtime/io/safetensors.js';
import { UserError } from '../../../runtime/errors.js';

const seed = (Date.now() ^ (Math.random() * 2 ** 32)) >>> 0;
beforeEach(({ onTestFailed }) => onTestFailed(() => console.error(`safetensors.test.ts random seed: ${seed}`)));

/** mulberry32: a tiny seeded generator so a failing random case can be replayed from the logged seed. */
function makeRandom(s: number): () => number {
  let state = s >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
const random = makeRandom(seed);

// The spec's dtype → array type mapping (F16/BF16 as raw bits), written out independently of the code.
const ARRAY_TYPES: Record<Dtype, new (length: number) => TensorData> = {
  F64: Float64Array, F32: Float32Array, F16: Uint16Array, BF16: Uint16Array, I64: BigInt64Array, U64: BigUint64Array,
  I32: Int32Array, U32: Uint32Array, I16: Int16Array, U16: Uint16Array, I8: Int8Array, U8: Uint8Array, BOOL: Uint8Array,
};
const ALL_DTYPES = Object.keys(ARRAY_TYPES) as Dtype[];

function bytesOf(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** A tensor whose bytes are random (so NaN payloads, subnormals and extreme integers all occur). */
function randomTensor(dtype: Dtype, shape: number[]): Tensor {
  const data = new ARRAY_TYPES[dtype](shape.reduce((a, b) => a * b, 1));
  const bytes = bytesOf(data);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
  if (dtype === 'BOOL') for (let i = 0; i < bytes.length; i++) bytes[i]! &= 1;
  return { dtype, shape, data };
}

/** A hand-built file: 8-byte length (the real one unless overridden), the header text, then data bytes. */
function fileWith(header: string | Uint8Array, data: number | Uint8Array = 0, headerLength?: bigint): Uint8Array {
  const headerBytes = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const dataBytes = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + headerBytes.length + dataBytes.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(dataBytes, 8 + headerBytes.length);
  return out;
}

function entry(dtype: string, shape: unknown, offsets: unknown): string {
  return JSON.stringify({ dtype, shape, data_offsets: offsets });
}

function parseError(bytes: Uint8Array, label = 'bad.safetensors'): SafetensorsError {
  try {
    parseSafetensors(bytes, label);
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    expect(e).toBeInstanceOf(UserError);
    const message = (e as Error).message;
    expect(message.startsWith(`${label}: `), message).toBe(true);
    expect(message).not.toContain('\n');
    return e as SafetensorsError;
  }
  throw new Error('expected a SafetensorsError, but the file parsed');
}

describe('serializeSafetensors', () => {
  // Byte-exact expectations from the reference implementation's own test suite (safetensors crate).
  it('matches the reference bytes for an unpadded header', () => {
    const data = new Float32Array([0, 1, 2, 3, 4, 5]);
    const out = serializeSafetensors([['attn.0', { dtype: 'F32', shape: [1, 2, 3], data }]]);
    expect(Array.from(out)).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34,
      70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95,
      111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0,
      64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
  });

  it('matches the reference bytes when the header needs space padding', () => {
    const data = new Float32Array([0, 1, 2, 3, 4, 5]);
    const out = serializeSafetensors(new Map([['attn0', { dtype: 'F32' as const, shape: [1, 1, 2, 3], data }]]));
    expect(Array.from(out)).toEqual([
      72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70,
      51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97,
      95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32, 32, 32, 0, 0,
      0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
  });

  it('matches the reference bytes for an empty file, with and without metadata', () => {
    expect(Array.from(serializeSafetensors([]))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(Array.from(serializeSafetensors([], { framework: 'pt' }))).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102, 114,
      97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
  });

  it('lays tensors out contiguously in the given order behind a space-padded header', () => {
    const tensors: [string, Tensor][] = [
      ['10', randomTensor('U8', [3])],
      ['b', randomTensor('F64', [2, 2])],
      ['2', randomTensor('F16', [5])],
    ];
    const out = serializeSafetensors(tensors);
    const n = Number(new DataView(out.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(out.subarray(8, 8 + n));
    expect(text.trimEnd().length).toBeGreaterThan(n - 8);
    // Integer-like names keep their given place in the header text too.
    expect(text.indexOf('"10"')).toBeLessThan(text.indexOf('"b"'));
    expect(text.indexOf('"b"')).toBeLessThan(text.indexOf('"2"'));
    const header = JSON.parse(text) as Record<string, { data_offsets: number[] }>;
    expect(header['10']!.data_offsets).toEqual([0, 3]);
    expect(header['b']!.data_offsets).toEqual([3, 35]);
    expect(header['2']!.data_offsets).toEqual([35, 45]);
    expect(out.length).toBe(8 + n + 45);
    expect(Array.from(out.subarray(8 + n + 3, 8 + n + 35))).toEqual(Array.from(bytesOf(tensors[1]![1].data)));
  });

  it('refuses inconsistent tensors as programming errors', () => {
    const ok = float32Tensor([2], [1, 2]);
    const cases: [[string, Tensor][], RegExp][] = [
      [[['w', { dtype: 'F32', shape: [2], data: new Float64Array(2) }]], /F32 data must be a Float32Array/],
      [[['w', { dtype: 'F32', shape: [3], data: new Float32Array(2) }]], /shape \[3\] needs 3 elements, data has 2/],
      [[['w', { dtype: 'F32', shape: [-2], data: new Float32Array(2) }]], /invalid shape/],
      [[['w', { dtype: 'F8' as Dtype, shape: [2], data: new Uint8Array(2) }]], /unsupported dtype "F8"/],
      [[['__metadata__', ok]], /reserved/],
      [[['w', ok], ['w', ok]], /given twice/],
    ];
    for (const [tensors, message] of cases) {
      expect(() => serializeSafetensors(tensors)).toThrow(message);
      expect(() => serializeSafetensors(tensors)).not.toThrow(SafetensorsError);
    }
    expect(() => serializeSafetensors([], { a: 1 as unknown as string })).toThrow(/metadata "a": value must be a string/);
  });
});

describe('round trip', () => {
  const shapes = [[3, 5, 7], [], [4, 0, 3], [1], [2, 1, 1, 3]];

  it.each(ALL_DTYPES)('keeps every byte of %s tensors of odd, scalar and empty shapes', (dtype) => {
    const tensors = shapes.map((shape, i): [string, Tensor] => [`t${i}`, randomTensor(dtype, shape)]);
    const parsed = parseSafetensors(serializeSafetensors(tensors), 'round.safetensors');
    expect([...parsed.tensors.keys()]).toEqual(tensors.map(([name]) => name));
    for (const [name, tensor] of tensors) {
      const back = parsed.tensors.get(name)!;
      expect(back.dtype).toBe(dtype);
      expect(back.shape).toEqual(tensor.shape);
      expect(back.data).toBeInstanceOf(ARRAY_TYPES[dtype]);
      expect(back.data.length).toBe(tensor.data.length);
      expect(Array.from(bytesOf(back.data))).toEqual(Array.from(bytesOf(tensor.data)));
    }
  });

  it('reads tensors at unaligned offsets of unaligned buffers, in a random mix of dtypes', () => {
    const tensors: [string, Tensor][] = [];
    for (let i = 0; i < 12; i++) {
      const dtype = ALL_DTYPES[Math.floor(random() * ALL_DTYPES.length)]!;
      const shape = Array.from({ length: Math.floor(random() * 3) }, () => 1 + Math.floor(random() * 4));
      tensors.push([`layer.${i}.${dtype}`, randomTensor(dtype, shape)]);
    }
    const file = serializeSafetensors(tensors, { note: 'mixed', empty: '' });
    const shifted = new Uint8Array(file.length + 3).subarray(3);
    shifted.set(file);
    const parsed = parseSafetensors(shifted, 'mixed.safetensors');
    expect(parsed.metadata).toEqual({ note: 'mixed', empty: '' });
    expect([...parsed.tensors.keys()]).toEqual(tensors.map(([name]) => name));
    for (const [name, tensor] of tensors) {
      expect(Array.from(bytesOf(parsed.tensors.get(name)!.data))).toEqual(Array.from(bytesOf(tensor.data)));
    }
  });

  it('reads float64 data behind an unpadded header (offset 8 + 61 is not 8-aligned)', () => {
    const header = `{"x":${entry('F64', [2], [0, 16])}}`;
    const data = new Uint8Array(16);
    new DataView(data.buffer).setFloat64(0, 1.5, true);
    new DataView(data.buffer).setFloat64(8, -2.25, true);
    const file = fileWith(header, data);
    expect((8 + header.length) % 8).not.toBe(0);
    expect(Array.from(parseSafetensors(file, 'x').tensors.get('x')!.data as Float64Array)).toEqual([1.5, -2.25]);
  });

  it('returns tensors in data order whatever the header order, with empty tensors anywhere', () => {
    const header =
      `{"b":${entry('I32', [1], [4, 8])},"empty":${entry('F64', [0, 2], [4, 4])},` +
      `"a":${entry('I16', [2], [0, 4])},"__metadata__":null,"c":${entry('U8', [0], [8, 8])}}`;
    const data = new Uint8Array([1, 0, 2, 0, 3, 0, 0, 0]);
    const parsed = parseSafetensors(fileWith(header, data), 'order');
    expect([...parsed.tensors.keys()]).toEqual(['a', 'empty', 'b', 'c']);
    expect(Array.from(parsed.tensors.get('a')!.data as Int16Array)).toEqual([1, 2]);
    expect(Array.from(parsed.tensors.get('b')!.data as Int32Array)).toEqual([3]);
    expect(parsed.tensors.get('empty')!.shape).toEqual([0, 2]);
    expect(parsed.metadata).toEqual({});
  });

  it('handles names that are Object.prototype properties', () => {
    const tensors: [string, Tensor][] = [['__proto__', float32Tensor([1], [1])], ['constructor', float32Tensor([1], [2])]];
    const parsed = parseSafetensors(serializeSafetensors(tensors), 'proto');
    expect([...parsed.tensors.keys()]).toEqual(['__proto__', 'constructor']);
    expect(parsed.tensors.get('constructor')!.data[0]).toBe(2);
    const metadata = parseSafetensors(fileWith('{"__metadata__":{"__proto__":"p"}}'), 'proto').metadata;
    expect(Object.getOwnPropertyDescriptor(metadata, '__proto__')?.value).toBe('p');
  });

  it('ignores unknown fields in an entry, as the reference does', () => {
    const header = `{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"note":{"x":[1,2]}}}`;
    expect(Array.from(parseSafetensors(fileWith(header, new Uint8Array([9])), 'x').tensors.get('a')!.data as Uint8Array)).toEqual([9]);
  });

  it('does not mistake braces, commas and quotes inside strings for structure when looking for duplicates', () => {
    const header =
      `{"__metadata__":{"k":"{\\"a\\":1,\\"a\\":2}","k2":"\\\\"},` + `"a\\\\":${entry('U8', [1], [0, 1])},"a":${entry('U8', [1], [1, 2])}}`;
    const parsed = parseSafetensors(fileWith(header, 2), 'strings');
    expect([...parsed.tensors.keys()]).toEqual(['a\\', 'a']);
    expect(parsed.metadata).toEqual({ k: '{"a":1,"a":2}', k2: '\\' });
  });
});

describe('parseSafetensors rejects malformed files', () => {
  const ok = entry('F32', [2], [0, 8]);

  it('fewer than 8 bytes', () => {
    expect(parseError(new Uint8Array(5)).message).toBe(
      'bad.safetensors: 5 bytes is too small for a safetensors file (the header length alone takes 8)',
    );
    expect(parseError(new Uint8Array(0)).message).toMatch(/0 bytes is too small/);
  });

  it('a header length over 100,000,000', () => {
    expect(parseError(fileWith('{}', 0, 100_000_001n)).message).toMatch(/header length 100000001 exceeds the limit of 100000000 bytes/);
    expect(parseError(fileWith('{}', 0, 2n ** 64n - 1n)).message).toMatch(/header length 18446744073709551615 exceeds/);
  });

  it('a header length past the end of the file', () => {
    expect(parseError(fileWith('{}', 0, 100n)).message).toBe(
      'bad.safetensors: header length 100 runs past the end of the 10-byte file; truncated or not a safetensors file?',
    );
  });

  it('a header that is not UTF-8', () => {
    expect(parseError(fileWith(new Uint8Array([0x7b, 0xff, 0x7d]))).message).toMatch(/header is not valid UTF-8/);
  });

  it('a header that is not JSON', () => {
    expect(parseError(fileWith('{"a": ')).message).toMatch(/header is not valid JSON \(/);
    expect(parseError(fileWith('\uFEFF{}')).message).toMatch(/header is not valid JSON/);
    expect(parseError(fileWith('{}\0\0\0\0\0\0')).message).toMatch(/header is not valid JSON/);
  });

  it('a header that is not a JSON object', () => {
    expect(parseError(fileWith('[]')).message).toMatch(/header must be a JSON object, got an array/);
    expect(parseError(fileWith('null    ')).message).toMatch(/header must be a JSON object, got null/);
  });

  it('duplicate tensor names, duplicate entry fields and duplicate metadata keys', () => {
    expect(parseError(fileWith(`{"w":${ok},"w":${ok}}`, 8)).message).toMatch(/bad.safetensors: duplicate entry "w" in header/);
    // Escapes decode to the same name, so this is a duplicate too.
    expect(parseError(fileWith(`{"w":${ok},"\\u0077":${ok}}`, 8)).message).toMatch(/duplicate entry "w"/);
    expect(parseError(fileWith(`{"w":{"dtype":"F32","dtype":"F64","shape":[2],"data_offsets":[0,8]}}`, 8)).message).toBe(
      'bad.safetensors: tensor "w": duplicate key "dtype" in its header entry',
    );
    expect(parseError(fileWith(`{"__metadata__":{"a":"1","a":"2"}}`)).message).toMatch(/__metadata__: duplicate key "a"/);
  });

  it('an entry that is not an object', () => {
    expect(parseError(fileWith(`{"w":5}`)).message).toMatch(/tensor "w": header entry must be an object .* got a number/);
  });

  it('unknown, unsupported or missing dtypes', () => {
    expect(parseError(fileWith(`{"w":${entry('F99', [2], [0, 8])}}`, 8)).message).toMatch(
      /^bad.safetensors: tensor "w": unsupported dtype "F99" \(supported: F64, F32, F16, BF16, I64, /,
    );
    expect(parseError(fileWith(`{"w":${entry('F8_E4M3', [2], [0, 2])}}`, 2)).message).toMatch(/unsupported dtype "F8_E4M3"/);
    expect(parseError(fileWith(`{"w":{"shape":[2],"data_offsets":[0,8]}}`, 8)).message).toMatch(/tensor "w": missing dtype/);
  });

  it('negative, fractional, unsafe or missing shapes', () => {
    for (const shape of [[-1], [1.5], ['2'], 2, [2 ** 53], null]) {
      expect(parseError(fileWith(`{"w":${entry('F32', shape, [0, 8])}}`, 8)).message).toMatch(
        /tensor "w": shape must be an array of non-negative integers, got /,
      );
    }
    expect(parseError(fileWith(`{"w":{"dtype":"F32","data_offsets":[0,8]}}`, 8)).message).toMatch(/shape .* got missing/);
  });

  it('malformed data_offsets', () => {
    for (const offsets of [[-1, 7], [0], [0, 8, 9], [0, 1.5], '0,8', [0, '8']]) {
      expect(parseError(fileWith(`{"w":${entry('F32', [2], offsets)}}`, 8)).message).toMatch(
        /tensor "w": data_offsets must be \[begin, end\] with non-negative integers/,
      );
    }
    expect(parseError(fileWith(`{"w":${entry('F32', [0], [8, 4])}}`, 8)).message).toBe(
      'bad.safetensors: tensor "w": data_offsets [8, 4] end before they begin',
    );
  });

  it('overlapping tensors', () => {
    const header = `{"a":${entry('F32', [2], [0, 8])},"b":${entry('F32', [2], [4, 12])}}`;
    expect(parseError(fileWith(header, 12)).message).toBe(
      'bad.safetensors: tensor "b": data_offsets [4, 12] overlap tensor "a" (data_offsets [0, 8])',
    );
  });

  it('gaps between tensors or before the first', () => {
    const header = `{"a":${entry('F32', [2], [0, 8])},"b":${entry('F32', [2], [16, 24])}}`;
    expect(parseError(fileWith(header, 24)).message).toBe(
      'bad.safetensors: tensor "b": data_offsets [16, 24] leave a gap of 8 bytes after tensor "a"',
    );
    expect(parseError(fileWith(`{"a":${entry('F32', [2], [4, 12])}}`, 12)).message).toMatch(
      /tensor "a": data_offsets \[4, 12\] leave a gap of 4 bytes after the start of the data buffer/,
    );
  });

  it('tensors that do not cover the data buffer exactly', () => {
    expect(parseError(fileWith(`{"a":${ok}}`, 12)).message).toBe(
      'bad.safetensors: 4 trailing bytes after the last tensor: the tensors cover 8 of the 12 data bytes',
    );
    expect(parseError(fileWith(`{"a":${ok}}`, 5)).message).toBe(
      'bad.safetensors: file is truncated: the tensors need 8 data bytes but only 5 follow the header',
    );
    expect(parseError(fileWith('{}', 1)).message).toMatch(/1 trailing bytes/);
  });

  it('a byte length that does not match shape and dtype', () => {
    const header = `{"lm_head.weight":${entry('F32', [48, 64], [0, 100])}}`;
    expect(parseError(fileWith(header, 100), 'weights.safetensors').message).toBe(
      'weights.safetensors: tensor "lm_head.weight": data_offsets [0, 100] hold 100 bytes but shape [48, 64] of F32 needs 12288',
    );
    // 2^62 bytes fits in 64 bits: a mismatch, not an overflow.
    expect(parseError(fileWith(`{"w":${entry('F32', [2 ** 30, 2 ** 30], [0, 8])}}`, 8)).message).toMatch(
      /hold 8 bytes but shape \[1073741824, 1073741824\] of F32 needs 4611686018427387904$/,
    );
  });

  it('shapes whose byte size overflows 64 bits', () => {
    expect(parseError(fileWith(`{"w":${entry('F32', [2 ** 40, 2 ** 40], [0, 8])}}`, 8)).message).toBe(
      'bad.safetensors: tensor "w": shape [1099511627776, 1099511627776] of F32 overflows a 64-bit byte size',
    );
    expect(parseError(fileWith(`{"w":${entry('F64', [2 ** 31, 2 ** 31], [0, 8])}}`, 8)).message).toMatch(/overflows/);
    // As in the reference, the running product overflows before the 0 could zero it.
    expect(parseError(fileWith(`{"w":${entry('U8', [2 ** 40, 2 ** 40, 0], [0, 0])}}`)).message).toMatch(/overflows/);
  });

  it('metadata that is not a string → string map', () => {
    expect(parseError(fileWith(`{"__metadata__":{"epoch":1}}`)).message).toBe(
      'bad.safetensors: __metadata__ value of "epoch" must be a string, got a number 1',
    );
    expect(parseError(fileWith(`{"__metadata__":{"a":{"b":"c"}}}`)).message).toMatch(/must be a string, got an object/);
    expect(parseError(fileWith(`{"__metadata__":["a"]}`)).message).toMatch(/__metadata__ must be an object of strings, got an array/);
  });

  it('keeps names with quotes and newlines on one quoted line', () => {
    const message = parseError(fileWith(`{"a\\n\\"b":${entry('F99', [1], [0, 1])}}`, 1)).message;
    expect(message).toMatch(/^bad.safetensors: tensor "a\\n\\"b": unsupported dtype/);
  });

  it('throws only SafetensorsError for randomly corrupted files', () => {
    const base = serializeSafetensors(
      [
        ['a', randomTensor('F32', [3, 2])],
        ['b', randomTensor('I64', [2])],
        ['c', randomTensor('U8', [5])],
      ],
      { k: 'v' },
    );
    const n = Number(new DataView(base.buffer).getBigUint64(0, true));
    const interesting = new TextEncoder().encode('{}[]",:0123456789-.eE \\');
    let accepted = 0;
    for (let round = 0; round < 400; round++) {
      let bytes = base.slice();
      const kind = round % 4;
      if (kind === 0) bytes = bytes.subarray(0, Math.floor(random() * bytes.length));
      else if (kind === 1) bytes[8 + Math.floor(random() * n)] = interesting[Math.floor(random() * interesting.length)]!;
      else if (kind === 2) bytes[Math.floor(random() * 8)] = Math.floor(random() * 256);
      else bytes[8 + Math.floor(random() * n)] = Math.floor(random() * 256);
      try {
        parseSafetensors(bytes, 'fuzz');
        accepted++;
      } catch (e) {
        if (!(e instanceof SafetensorsError)) throw new Error(`round ${round} (seed ${seed}): ${String(e)}`);
      }
    }
    expect(accepted).toBeLessThan(400);
  });
});

describe('parseSafetensorsHeader', () => {
  it('returns entries in data order, metadata and the data start', () => {
    const header = new TextEncoder().encode(
      `{"__metadata__":{"format":"pt"},"b":${entry('F64', [], [8, 16])},"a":${entry('BF16', [2, 2], [0, 8])}}`,
    );
    expect(parseSafetensorsHeader(header, 16, 'h')).toEqual({
      tensors: [
        { name: 'a', dtype: 'BF16', shape: [2, 2], dataOffsets: [0, 8] },
        { name: 'b', dtype: 'F64', shape: [], dataOffsets: [8, 16] },
      ],
      metadata: { format: 'pt' },
      dataStart: 8 + header.length,
    });
  });
});

describe('tensorToFloat64', () => {
  it('decodes F16 bit patterns', () => {
    const bits = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x3555, 0x7c00, 0xfc00, 0x8000, 0x7e00];
    const expected = [1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, 0.333251953125, Infinity, -Infinity, -0, NaN];
    const out = tensorToFloat64({ dtype: 'F16', shape: [bits.length], data: new Uint16Array(bits) });
    expect(Array.from(out)).toEqual(expected);
    expect(Object.is(out[9], -0)).toBe(true);
  });

  it('decodes BF16 bit patterns', () => {
    const bits = [0x3f80, 0xc040, 0x4049, 0x0001, 0x7f7f, 0x7f80, 0xff80, 0x8000, 0x7fc0];
    const expected = [1, -3, 3.140625, 2 ** -133, (2 - 2 ** -7) * 2 ** 127, Infinity, -Infinity, -0, NaN];
    const out = tensorToFloat64({ dtype: 'BF16', shape: [bits.length], data: new Uint16Array(bits) });
    expect(Array.from(out)).toEqual(expected);
    expect(Object.is(out[7], -0)).toBe(true);
  });

  it('widens F32 and integer types exactly and returns a new array', () => {
    const f32 = Float32Array.from({ length: 20 }, () => (random() - 0.5) * 1e6);
    expect(Array.from(tensorToFloat64(float32Tensor([20], f32)))).toEqual(Array.from(f32));
    const f64 = float64Tensor([2], [0.1, -7]);
    const copy = tensorToFloat64(f64);
    copy[0] = 5;
    expect(f64.data[0]).toBe(0.1);
    expect(Array.from(tensorToFloat64({ dtype: 'I8', shape: [2], data: new Int8Array([-128, 127]) }))).toEqual([-128, 127]);
    expect(Array.from(tensorToFloat64({ dtype: 'U32', shape: [1], data: new Uint32Array([4294967295]) }))).toEqual([4294967295]);
    const big = BigInt(Number.MAX_SAFE_INTEGER);
    expect(Array.from(tensorToFloat64({ dtype: 'I64', shape: [3], data: new BigInt64Array([-big, 0n, big]) }))).toEqual([
      -Number.MAX_SAFE_INTEGER,
      0,
      Number.MAX_SAFE_INTEGER,
    ]);
  });

  it('refuses 64-bit integers that float64 cannot hold exactly, naming the tensor', () => {
    const t: Tensor = { dtype: 'I64', shape: [2], data: new BigInt64Array([1n, 2n ** 53n]) };
    expect(() => tensorToFloat64(t, 'outputs.safetensors: tensor "inputs"')).toThrow(
      'outputs.safetensors: tensor "inputs": element 1 is 9007199254740992, beyond ±(2^53 − 1) where float64 is exact',
    );
    expect(() => tensorToFloat64({ dtype: 'U64', shape: [1], data: new BigUint64Array([2n ** 64n - 1n]) })).toThrow(SafetensorsError);
  });
});

describe('tensorToInt32', () => {
  it('converts integer tensors in range', () => {
    const ids = new BigInt64Array([0n, 2147483647n, -2147483648n, 31n]);
    expect(Array.from(tensorToInt32({ dtype: 'I64', shape: [2, 2], data: ids }))).toEqual([0, 2147483647, -2147483648, 31]);
    expect(Array.from(tensorToInt32({ dtype: 'U8', shape: [2], data: new Uint8Array([0, 255]) }))).toEqual([0, 255]);
    expect(Array.from(tensorToInt32({ dtype: 'I16', shape: [1], data: new Int16Array([-5]) }))).toEqual([-5]);
    const i32 = new Int32Array([7]);
    expect(tensorToInt32({ dtype: 'I32', shape: [1], data: i32 })).not.toBe(i32);
  });

  it('refuses values outside int32 and non-integer dtypes, naming the tensor', () => {
    expect(() => tensorToInt32({ dtype: 'I64', shape: [2], data: new BigInt64Array([1n, 2n ** 31n]) }, 'tokens "inputs"')).toThrow(
      'tokens "inputs": element 1 is 2147483648, outside the int32 range',
    );
    expect(() => tensorToInt32({ dtype: 'I64', shape: [1], data: new BigInt64Array([-(2n ** 31n) - 1n]) })).toThrow(/outside the int32 range/);
    expect(() => tensorToInt32({ dtype: 'U32', shape: [1], data: new Uint32Array([2 ** 31]) })).toThrow(SafetensorsError);
    expect(() => tensorToInt32(float32Tensor([1], [1]), 'x')).toThrow('x: expected an integer tensor (I64, I32, I16, I8, U8, ...), got F32');
    expect(() => tensorToInt32({ dtype: 'BOOL', shape: [1], data: new Uint8Array([1]) })).toThrow(/got BOOL/);
  });
});

describe('float32Tensor / float64Tensor', () => {
  it('build tensors from numbers, typed arrays (without copying) or zeros', () => {
    expect(float32Tensor([2, 3], [1, 2, 3, 4, 5, 0.1])).toEqual({
      dtype: 'F32',
      shape: [2, 3],
      data: new Float32Array([1, 2, 3, 4, 5, 0.1]),
    });
    const data = new Float64Array([1, 2]);
    expect(float64Tensor([2], data).data).toBe(data);
    expect(float64Tensor([], [4]).data).toEqual(new Float64Array([4]));
    expect(float32Tensor([0, 5]).data.length).toBe(0);
    expect(Array.from(float32Tensor([3]).data)).toEqual([0, 0, 0]);
  });

  it('refuse shapes that do not match the data', () => {
    expect(() => float32Tensor([2, 2], [1, 2, 3])).toThrow('shape [2, 2] needs 4 elements, got 3');
    expect(() => float64Tensor([-1])).toThrow(/invalid shape/);
    expect(() => float64Tensor([1.5])).toThrow(/invalid shape/);
  });
});
