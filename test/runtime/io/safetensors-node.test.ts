import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  float32Tensor,
  parseSafetensors,
  SafetensorsError,
  serializeSafetensors,
  tensorToFloat64,
  tensorToInt32,
  type Tensor,
} from '../../../runtime/io/safetensors.js';
import { readSafetensorsFile, readSafetensorsHeaderFile, writeSafetensorsFile } from '../../../runtime/io/safetensors-node.js';

const GOLDEN = join(import.meta.dirname, '../../fixtures/golden');
const CASES = readdirSync(GOLDEN).filter((name) => name.startsWith('case_'));
const scratch = mkdtempSync(join(tmpdir(), 'safetensors-node-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface GoldenConfig {
  official_config: { vocab_size: number; embedding_dim: number; tie_weights: boolean };
  golden: { batch_size: number; seq_len: number; num_parameters: number };
}
interface GoldenTokens {
  inputs: number[][];
  targets: number[][];
  loss: number;
}

function bytesOf(t: Tensor): number[] {
  return Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

async function readError(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SafetensorsError);
  const message = (error as Error).message;
  expect(message).not.toContain('\n');
  return message;
}

describe.each(CASES)('golden %s', (caseDir) => {
  const dir = join(GOLDEN, caseDir);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as GoldenConfig;
  const tokens = JSON.parse(readFileSync(join(dir, 'tokens.json'), 'utf8')) as GoldenTokens;
  const { batch_size: B, seq_len: T, num_parameters } = config.golden;
  const { vocab_size: V, embedding_dim: E, tie_weights } = config.official_config;
  const read = (file: string) => readSafetensorsFile(join(dir, file));

  it('outputs.safetensors holds tokens.json and the loss', async () => {
    const { tensors, metadata } = await read('outputs.safetensors');
    expect(metadata).toMatchObject({ format: 'xlstm-golden/1', case: caseDir.slice('case_'.length) });
    expect([...tensors.keys()]).toEqual(['inputs', 'targets', 'logits', 'logits_step', 'loss']);
    for (const name of ['inputs', 'targets'] as const) {
      const t = tensors.get(name)!;
      expect(t.dtype).toBe('I64');
      expect(t.shape).toEqual([B, T]);
      expect(Array.from(tensorToInt32(t, name))).toEqual(tokens[name].flat());
    }
    for (const name of ['logits', 'logits_step']) {
      expect(tensors.get(name)!.dtype).toBe('F64');
      expect(tensors.get(name)!.shape).toEqual([B, T, V]);
    }
    // golden/README.md says shape [], the files hold [1]: either way exactly one F64 value.
    const loss = tensors.get('loss')!;
    expect(loss.dtype).toBe('F64');
    expect(numel(loss.shape)).toBe(1);
    expect(loss.shape.length).toBeLessThanOrEqual(1);
    expect(tensorToFloat64(loss)[0]).toBe(tokens.loss);
  });

  it('weights, grads and activations have consistent names, dtypes and shapes', async () => {
    const weights = (await read('weights.safetensors')).tensors;
    const grads = (await read('grads.safetensors')).tensors;
    const activations = (await read('activations.safetensors')).tensors;
    expect([...grads.values()].reduce((sum, g) => sum + numel(g.shape), 0)).toBe(num_parameters);
    for (const [name, grad] of grads) {
      expect(grad.dtype).toBe('F64');
      expect(weights.get(name)?.shape, name).toEqual(grad.shape);
    }
    for (const weight of weights.values()) expect(weight.dtype).toBe('F64');
    expect(weights.get('token_embedding.weight')!.shape).toEqual([V, E]);
    expect(grads.has('lm_head.weight')).toBe(!tie_weights);
    if (tie_weights) expect(bytesOf(weights.get('lm_head.weight')!)).toEqual(bytesOf(weights.get('token_embedding.weight')!));
    expect(activations.has('embedding')).toBe(true);
    for (const activation of activations.values()) {
      expect(activation.dtype).toBe('F64');
      expect(activation.shape).toEqual([B, T, E]);
    }
  });

  it.each(['weights', 'grads', 'outputs', 'activations'])(
    '%s.safetensors reads the same from disk, from memory and header-only',
    async (name) => {
      const path = join(dir, `${name}.safetensors`);
      const fromDisk = await readSafetensorsFile(path);
      const fromMemory = parseSafetensors(readFileSync(path), path);
      const header = await readSafetensorsHeaderFile(path);
      expect(fromDisk.metadata).toEqual(fromMemory.metadata);
      expect(header.metadata).toEqual(fromDisk.metadata);
      expect([...fromDisk.tensors.keys()]).toEqual([...fromMemory.tensors.keys()]);
      expect(header.tensors.map((t) => t.name)).toEqual([...fromDisk.tensors.keys()]);
      for (const info of header.tensors) {
        const a = fromDisk.tensors.get(info.name)!;
        const b = fromMemory.tensors.get(info.name)!;
        expect(a.shape).toEqual(info.shape);
        expect(b.shape).toEqual(info.shape);
        expect(bytesOf(a)).toEqual(bytesOf(b));
      }
    },
  );
});

describe('readSafetensorsFile errors', () => {
  it('a missing file', async () => {
    const path = join(scratch, 'missing.safetensors');
    expect(await readError(readSafetensorsFile(path))).toBe(`${path}: no such file`);
    expect(await readError(readSafetensorsHeaderFile(path))).toBe(`${path}: no such file`);
  });

  it('a directory', async () => {
    expect(await readError(readSafetensorsFile(scratch))).toBe(`${scratch}: is a directory, expected a safetensors file`);
  });

  it('a truncated file, found from the header alone', async () => {
    const path = join(scratch, 'truncated.safetensors');
    const bytes = readFileSync(join(GOLDEN, CASES[0]!, 'outputs.safetensors'));
    writeFileSync(path, bytes.subarray(0, bytes.length - 10));
    const message = `${path}: file is truncated: the tensors need ${bytes.length - 8 - 464} data bytes but only ${bytes.length - 8 - 464 - 10} follow the header`;
    expect(await readError(readSafetensorsFile(path))).toBe(message);
    expect(await readError(readSafetensorsHeaderFile(path))).toBe(message);
    writeFileSync(path, bytes.subarray(0, 100));
    expect(await readError(readSafetensorsFile(path))).toMatch(/header length 464 runs past the end of the 100-byte file/);
    writeFileSync(path, '');
    expect(await readError(readSafetensorsFile(path))).toMatch(/0 bytes is too small/);
  });
});

describe('readSafetensorsHeaderFile', () => {
  it('reads the header of a huge file without touching its data', async () => {
    // A sparse 4 GiB file: reading its data would take seconds and 4 GiB of memory.
    const path = join(scratch, 'huge.safetensors');
    const header = new TextEncoder().encode('{"w":{"dtype":"F32","shape":[1073741824],"data_offsets":[0,4294967296]}}');
    const prefix = new Uint8Array(8);
    new DataView(prefix.buffer).setBigUint64(0, BigInt(header.length), true);
    writeFileSync(path, Buffer.concat([prefix, header]));
    truncateSync(path, 8 + header.length + 2 ** 32);
    const started = performance.now();
    const info = await readSafetensorsHeaderFile(path);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(info.tensors).toEqual([{ name: 'w', dtype: 'F32', shape: [2 ** 30], dataOffsets: [0, 2 ** 32] }]);
    expect(info.dataStart).toBe(8 + header.length);
    rmSync(path);
  });
});

describe('writeSafetensorsFile', () => {
  it('writes a file that reads back identically and replaces an existing one', async () => {
    const dir = mkdtempSync(join(scratch, 'write-'));
    const path = join(dir, 'ckpt.safetensors');
    const first: [string, Tensor][] = [['w', float32Tensor([2, 3], [1, 2, 3, 4, 5, 6])]];
    await writeSafetensorsFile(path, first, { step: '1' });
    expect(new Uint8Array(readFileSync(path))).toEqual(serializeSafetensors(first, { step: '1' }));

    const second = new Map<string, Tensor>([
      ['ids', { dtype: 'I64', shape: [3], data: new BigInt64Array([5n, -1n, 2n ** 40n]) }],
      ['scalar', { dtype: 'F64', shape: [], data: new Float64Array([Math.PI]) }],
    ]);
    await writeSafetensorsFile(path, second);
    const back = await readSafetensorsFile(path);
    expect(back.metadata).toEqual({});
    expect([...back.tensors.keys()]).toEqual(['ids', 'scalar']);
    expect(Array.from(back.tensors.get('ids')!.data as BigInt64Array)).toEqual([5n, -1n, 2n ** 40n]);
    expect(back.tensors.get('scalar')).toEqual({ dtype: 'F64', shape: [], data: new Float64Array([Math.PI]) });
    expect(readdirSync(dir)).toEqual(['ckpt.safetensors']);
  });

  it('leaves the old file alone when the tensors are invalid', async () => {
    const dir = mkdtempSync(join(scratch, 'invalid-'));
    const path = join(dir, 'ckpt.safetensors');
    writeFileSync(path, 'old');
    await expect(writeSafetensorsFile(path, [['w', { dtype: 'F32', shape: [3], data: new Float32Array(2) }]])).rejects.toThrow(
      /shape \[3\] needs 3 elements/,
    );
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['ckpt.safetensors']);
  });
});
