import { describe, expect, it } from 'vitest';
import { className, kebabCase } from '../../../compiler/emit/names.js';
import { UserError } from '../../../runtime/errors.js';

describe('kebabCase', () => {
  it('splits words at case changes, keeps acronyms and digit runs with their unit together', () => {
    expect(kebabCase('BenchSmall')).toBe('bench-small');
    expect(kebabCase('CharLm')).toBe('char-lm');
    expect(kebabCase('Xlstm125M')).toBe('xlstm-125m');
    expect(kebabCase('Gpt2Small')).toBe('gpt-2-small');
    expect(kebabCase('XMLParser')).toBe('xml-parser');
    expect(kebabCase('my_model_v2')).toBe('my-model-v-2');
    expect(kebabCase('A')).toBe('a');
  });
});

describe('className', () => {
  it('keeps a model name that can name a class in the module', () => {
    expect(className('ParityMixed')).toBe('ParityMixed');
  });

  it('refuses names the module uses itself or TypeScript reserves', () => {
    for (const name of ['Map', 'Promise', 'config', 'XlstmModel', 'class', 'any']) {
      expect(() => className(name)).toThrow(UserError);
    }
  });
});
