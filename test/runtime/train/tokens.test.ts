import { describe, expect, it } from 'vitest';
import { UserError } from '../../../runtime/errors.js';
import { checkLongEnough, checkVocabulary, concatTokens, decodeTokens, holdOutTail, tokenFormatOf } from '../../../runtime/train/tokens.js';

function bytesOf(values: number[], Type: Uint16ArrayConstructor | Int32ArrayConstructor): Uint8Array {
  return new Uint8Array(Type.from(values).buffer);
}

describe('token files', () => {
  it('reads the format from the extension', () => {
    expect(tokenFormatOf('a/train.u16')).toBe('u16');
    expect(tokenFormatOf('train.BIN')).toBe('u16');
    expect(tokenFormatOf('x.i32')).toBe('i32');
    expect(tokenFormatOf('corpus.txt')).toBe('bytes');
    expect(tokenFormatOf('README')).toBe('bytes');
  });

  it('decodes little-endian ids, also from an unaligned view', () => {
    const padded = new Uint8Array(9);
    padded.set(bytesOf([1, 65535, 300, 7], Uint16Array), 1);
    expect([...decodeTokens(padded.subarray(1), 'u16', 'f.u16')]).toEqual([1, 65535, 300, 7]);
    expect([...decodeTokens(bytesOf([5, 70000], Int32Array), 'i32', 'f.i32')]).toEqual([5, 70000]);
    expect([...decodeTokens(new TextEncoder().encode('hi'), 'bytes', 'f.txt')]).toEqual([104, 105]);
  });

  it('refuses empty files and partial ids in one line naming the file', () => {
    expect(() => decodeTokens(new Uint8Array(0), 'bytes', 'empty.txt')).toThrow(/^empty\.txt: the file is empty/);
    expect(() => decodeTokens(new Uint8Array(3), 'u16', 'odd.u16')).toThrow(/^odd\.u16: 3 bytes is not a whole number of uint16 token ids/);
    expect(() => decodeTokens(new Uint8Array(6), 'i32', 'odd.i32')).toThrow(UserError);
  });

  it('checks ids against the vocabulary, with a hint for byte-level text', () => {
    expect(() => checkVocabulary(Uint8Array.of(0, 3, 104), 4, 'bytes', 'p.txt', 'Parity')).toThrow(
      /^p\.txt: byte 104 at offset 2 is outside the vocabulary \[0, 4\) of Parity; byte-level text needs vocab 256/,
    );
    expect(() => checkVocabulary(Int32Array.of(1, -1), 50, 'i32', 't.i32', 'M')).toThrow(/^t\.i32: token -1 at index 1 is outside/);
    expect(() => checkVocabulary(Uint16Array.of(49, 0), 50, 'u16', 't.u16', 'M')).not.toThrow();
  });

  it('concatenates into the narrowest type that holds every part', () => {
    const joined = concatTokens([Uint8Array.of(1, 2), Uint16Array.of(300), Uint8Array.of(4)]);
    expect(joined).toBeInstanceOf(Uint16Array);
    expect([...joined]).toEqual([1, 2, 300, 4]);
    expect(concatTokens([Uint8Array.of(1), Int32Array.of(2)])).toBeInstanceOf(Int32Array);
  });

  it('holds out the last 10% (at least one window) for validation when training keeps a window', () => {
    const tokens = Uint8Array.from({ length: 100 }, (_, i) => i);
    const split = holdOutTail(tokens, 5);
    expect(split.train.length).toBe(90);
    expect([...split.val!]).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
    expect(holdOutTail(tokens, 40).val!.length).toBe(40);
    expect(holdOutTail(tokens, 51).val).toBeNull();
  });

  it('refuses data shorter than one window', () => {
    expect(() => checkLongEnough(Uint8Array.of(1, 2, 3), 4, 'short.txt')).toThrow(
      /^short\.txt: 3 tokens is shorter than one training window of 4 \(sequence length 3 \+ 1\)/,
    );
    expect(() => checkLongEnough(Uint8Array.of(1, 2, 3, 4), 4, 'ok.txt')).not.toThrow();
  });
});
