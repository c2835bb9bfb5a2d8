import { describe, expect, it } from 'vitest';
import { closest, editDistance, joinHints, nearestDivisors, nearestMatching, showNearest } from '../../../compiler/check/suggest.js';
import { nearestRatioPlacement, ratioFits, ratioPlacement } from '../../../compiler/check/placement.js';
import { normalisePath, resolveImportPath } from '../../../compiler/check/source-path.js';

describe('did you mean', () => {
  it('measures edits with transpositions', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('gleu', 'gelu')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('suggests close words, abbreviations and case/underscore variants, not far ones', () => {
    expect(closest('embd', ['embed', 'vocab'])).toBe('embed');
    expect(closest('qkvblocksize', ['qkv_blocksize', 'heads'])).toBe('qkv_blocksize');
    expect(closest('Heads', ['heads'])).toBe('heads');
    expect(closest('powerlaw', ['powerlaw_blockdependent', 'small_init'])).toBe('powerlaw_blockdependent');
    expect(closest('xyz', ['embed', 'vocab'])).toBeUndefined();
    expect(closest('embed', ['embed'])).toBeUndefined();
  });

  it('joins hints after a question without a semicolon', () => {
    expect(joinHints('did you mean `a`?', 'b takes c')).toBe('did you mean `a`? b takes c');
    expect(joinHints('x', undefined, 'y')).toBe('x; y');
    expect(joinHints(undefined)).toBeUndefined();
  });
});

describe('nearest valid values', () => {
  it('finds the nearest matches on each side', () => {
    expect(nearestMatching(130, (n) => n % 4 === 0, 4)).toEqual({ below: 128, above: 132 });
    expect(nearestDivisors(256, 3)).toEqual({ below: 2, above: 4 });
    expect(nearestDivisors(7, 3)).toEqual({ below: 1, above: 7 });
    expect(nearestMatching(2, (n) => n % 5 === 0, 10)).toEqual({ above: 5 });
    expect(showNearest({ below: 128, above: 132 })).toBe('128 or 132');
    expect(showNearest({})).toBeUndefined();
  });
});

describe('placement', () => {
  it('spreads b sLSTM blocks per group of a+b, centred', () => {
    expect(ratioPlacement(8, { mlstm: 7, slstm: 1 })).toEqual([4]);
    expect(ratioPlacement(6, { mlstm: 1, slstm: 2 })).toEqual([0, 2, 3, 5]); // g = 3: floor(0.75) = 0, floor(2.25) = 2
    expect(ratioPlacement(10, { mlstm: 7, slstm: 1 })).toBeUndefined();
    expect(ratioFits(4, { mlstm: 0, slstm: 0 })).toBe(false);
    expect(ratioFits(4, { mlstm: -1, slstm: 5 })).toBe(false);
    // 12 blocks at 1/8 sLSTM: round(1.5) = 2 blocks, at floor(0.5·6) = 3 and floor(1.5·6) = 9
    expect(nearestRatioPlacement(12, { mlstm: 7, slstm: 1 })).toEqual([3, 9]);
  });
});

describe('import paths', () => {
  it('resolves relative to the importing file and folds . and ..', () => {
    expect(resolveImportPath('examples/a.xlstm', 'b.xlstm')).toBe('examples/b.xlstm');
    expect(resolveImportPath('examples/a.xlstm', '../lib/./b.xlstm')).toBe('lib/b.xlstm');
    expect(resolveImportPath('a.xlstm', '../b.xlstm')).toBe('../b.xlstm');
    expect(resolveImportPath('/abs/dir/a.xlstm', '/x/y.xlstm')).toBe('/x/y.xlstm');
    expect(normalisePath('/a/../../b')).toBe('/b');
  });
});
