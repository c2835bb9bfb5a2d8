import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFormatOf, parseConfigText, readConfigFile } from '../../../compiler/interop/read-config.js';
import { UserError } from '../../../runtime/errors.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'xlstm-read-config-'));
  mkdirSync(join(dir, 'folder.yaml'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The one-line UserError that reading `path` throws. */
function failure(path: string): string {
  try {
    readConfigFile(path);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    const message = (e as UserError).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error(`${path} was read without an error`);
}

describe('readConfigFile', () => {
  it('reads YAML and JSON by extension', () => {
    expect(readConfigFile(file('a.yaml', 'num_blocks: 2\nslstm_at: [1]\n'))).toEqual({ num_blocks: 2, slstm_at: [1] });
    expect(readConfigFile(file('a.json', '{"num_blocks": 2}'))).toEqual({ num_blocks: 2 });
    expect([configFormatOf('x.JSON'), configFormatOf('x.yml'), configFormatOf('x')]).toEqual(['json', 'yaml', 'yaml']);
  });

  it('reads YAML as OmegaConf (YAML 1.1) does: yes/on are booleans, 1e-3 is a float', () => {
    expect(readConfigFile(file('b.yaml', 'tie_weights: yes\nbias: on\ndropout: 1e-3\n'))).toEqual({ tie_weights: true, bias: true, dropout: 0.001 });
  });

  it('rejects a missing file, a directory, an empty file and one with only comments', () => {
    expect(failure(join(dir, 'nope.yaml'))).toBe(`${join(dir, 'nope.yaml')}: no such file`);
    expect(failure(join(dir, 'folder.yaml'))).toBe(`${join(dir, 'folder.yaml')}: is a directory, expected a config file`);
    const empty = file('empty.yaml', '  \n\n');
    expect(failure(empty)).toBe(`${empty}: empty file, expected a config mapping`);
    const comments = file('comments.yaml', '# nothing here\n');
    expect(failure(comments)).toBe(`${comments}: no content (only comments), expected a config mapping`);
  });

  it('rejects invalid YAML with line:col of the first problem', () => {
    const bad = file('bad.yaml', 'num_blocks: 2\nslstm_at: [1, 2\n');
    // the unclosed list is noticed where the input ends
    expect(failure(bad)).toBe(`${bad}:3:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`);
    const indent = file('indent.yaml', 'num_blocks: 2\n  embedding_dim: 3\n');
    expect(failure(indent)).toBe(`${indent}:1:13: invalid YAML: Nested mappings are not allowed in compact mappings`);
    const dup = file('dup.yaml', 'num_blocks: 2\nnum_blocks: 3\n');
    expect(failure(dup)).toBe(`${dup}:2:1: invalid YAML: Map keys must be unique`);
    const tag = file('tag.yaml', 'mlstm_block: !!python/object:xlstm.mLSTMBlockConfig {}\n');
    expect(failure(tag)).toMatch(new RegExp(`^${tag}:1:14: invalid YAML: Unresolved tag: tag:yaml.org,2002:python/object:xlstm.mLSTMBlockConfig$`));
  });

  it('rejects invalid JSON with line:col', () => {
    const bad = file('bad.json', '{\n  "num_blocks": 2,\n}\n');
    expect(failure(bad)).toBe(`${bad}:3:1: invalid JSON: Expected double-quoted property name`);
  });

  it('rejects a document that is not a mapping', () => {
    const list = file('list.yaml', '- 1\n- 2\n');
    expect(failure(list)).toBe(`${list}: expected a mapping of config fields at the top level, got a list`);
    const scalar = file('scalar.json', '42');
    expect(failure(scalar)).toBe(`${scalar}: expected a mapping of config fields at the top level, got 42`);
  });

  it('parses text directly', () => {
    expect(parseConfigText('a: 1', 'x.yaml', 'yaml')).toEqual({ a: 1 });
  });
});
