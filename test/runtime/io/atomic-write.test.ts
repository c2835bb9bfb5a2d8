import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../runtime/errors.js';
import { writeFileAtomic } from '../../../runtime/io/atomic-write-node.js';
import { float32Tensor, parseSafetensors, serializeSafetensors } from '../../../runtime/io/safetensors.js';

const scratch = mkdtempSync(join(tmpdir(), 'atomic-write-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const TEMP_FILE = /^\.target\.\d+\.[0-9a-f]{12}\.tmp$/;

function freshDir(): string {
  return mkdtempSync(join(scratch, 'case-'));
}

describe('writeFileAtomic', () => {
  it('writes text, bytes and chunk streams, replacing the old content', async () => {
    const dir = freshDir();
    const path = join(dir, 'target');
    await writeFileAtomic(path, 'héllo\n');
    expect(readFileSync(path, 'utf8')).toBe('héllo\n');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    await writeFileAtomic(path, [new Uint8Array([4]), new Uint8Array(0), new Uint8Array([5, 6])]);
    expect([...readFileSync(path)]).toEqual([4, 5, 6]);
    await writeFileAtomic(
      path,
      (async function* () {
        yield new Uint8Array([7]);
        await new Promise((resolve) => setTimeout(resolve, 5));
        yield new Uint8Array([8]);
      })(),
    );
    expect([...readFileSync(path)]).toEqual([7, 8]);
    await writeFileAtomic(path, '');
    expect(statSync(path).size).toBe(0);
    expect(readdirSync(dir)).toEqual(['target']);
  });

  it('leaves the target unchanged and no temp file when the data throws mid-write', async () => {
    const dir = freshDir();
    const path = join(dir, 'target');
    writeFileSync(path, 'old');
    const failure = new Error('producer broke');
    const data = (function* () {
      yield new Uint8Array(1 << 20);
      throw failure;
    })();
    await expect(writeFileAtomic(path, data)).rejects.toBe(failure);
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['target']);
  });

  it('removes the temp file when the final rename fails (target is a directory)', async () => {
    const dir = freshDir();
    const path = join(dir, 'target');
    mkdirSync(path);
    writeFileSync(join(path, 'inside'), 'kept');
    const error = await writeFileAtomic(path, 'new').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(`${path}: cannot write: is a directory`);
    expect(readFileSync(join(path, 'inside'), 'utf8')).toBe('kept');
    expect(readdirSync(dir)).toEqual(['target']);
  });

  it('reports a missing directory in one line', async () => {
    const path = join(scratch, 'no-such-dir', 'target');
    await expect(writeFileAtomic(path, 'x')).rejects.toThrow(
      new UserError(`${path}: cannot write: directory ${dirname(path)} does not exist`),
    );
  });

  // Root ignores directory permissions, so this case can only be observed as another user.
  it.skipIf(process.getuid?.() === 0)('leaves the target unchanged in a read-only directory', async () => {
    const dir = freshDir();
    const path = join(dir, 'target');
    writeFileSync(path, 'old');
    chmodSync(dir, 0o555);
    try {
      await expect(writeFileAtomic(path, 'new')).rejects.toThrow(`${path}: cannot write: permission denied`);
      expect(readFileSync(path, 'utf8')).toBe('old');
      expect(readdirSync(dir)).toEqual(['target']);
    } finally {
      chmodSync(dir, 0o755);
    }
  });
});

describe('writeFileAtomic in a process killed with SIGKILL', () => {
  let moduleDir: string;

  // The child is plain Node, which cannot load TypeScript: give it the modules transpiled to JS.
  beforeAll(() => {
    moduleDir = join(scratch, 'modules');
    const root = join(import.meta.dirname, '../../..');
    for (const file of ['runtime/errors.ts', 'runtime/io/atomic-write-node.ts', 'runtime/io/safetensors.ts', 'runtime/io/safetensors-node.ts']) {
      const { outputText } = ts.transpileModule(readFileSync(join(root, file), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
      });
      mkdirSync(dirname(join(moduleDir, file)), { recursive: true });
      writeFileSync(join(moduleDir, file.replace(/\.ts$/, '.js')), outputText);
    }
    writeFileSync(join(moduleDir, 'package.json'), '{"type":"module"}');
  });

  function moduleUrl(file: string): string {
    return pathToFileURL(join(moduleDir, file)).href;
  }

  /** Runs `script` with TARGET set, kills it `delayMs` after it first prints `signal`, resolves once it is gone. */
  function killAfterSignal(script: string, target: string, signal: string, delayMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, TARGET: target },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let killed = false;
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (!killed && stdout.includes(signal)) {
          killed = true;
          setTimeout(() => child.kill('SIGKILL'), delayMs);
        }
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('exit', (code, exitSignal) => {
        if (exitSignal === 'SIGKILL') resolve();
        else reject(new Error(`child exited with ${code} before it was killed: ${stderr}`));
      });
    });
  }

  it('leaves the old file intact when killed halfway through writing', async () => {
    const dir = freshDir();
    const target = join(dir, 'target');
    writeFileSync(target, 'old content');
    const script = `
      import { writeFileAtomic } from ${JSON.stringify(moduleUrl('runtime/io/atomic-write-node.js'))};
      const chunk = new Uint8Array(1 << 20).fill(7);
      async function* data() {
        for (let i = 0; i < 25; i++) yield chunk;
        process.stdout.write('half written\\n');
        await new Promise((resolve) => setTimeout(resolve, 60_000));
        yield chunk;
      }
      await writeFileAtomic(process.env.TARGET, data());`;
    await killAfterSignal(script, target, 'half written', 0);
    expect(readFileSync(target, 'utf8')).toBe('old content');
    // The kill really landed mid-write: the half-written temp file is still there beside the target.
    const temps = readdirSync(dir).filter((name) => TEMP_FILE.test(name));
    expect(temps).toHaveLength(1);
    expect(statSync(join(dir, temps[0]!)).size).toBe(25 << 20);
  });

  it('leaves either the old or a complete new safetensors file when killed at a random moment', async () => {
    const dir = freshDir();
    const target = join(dir, 'target');
    writeFileSync(target, serializeSafetensors([['w', float32Tensor([4], [0.5, 0.5, 0.5, 0.5])]], { version: 'old' }));
    const elements = 12_500_000; // 50 MB of F32
    const script = `
      import { writeSafetensorsFile } from ${JSON.stringify(moduleUrl('runtime/io/safetensors-node.js'))};
      const data = new Float32Array(${elements});
      for (let i = 1; ; i++) {
        data.fill(i);
        process.stdout.write('writing ' + i + '\\n');
        await writeSafetensorsFile(process.env.TARGET, [['w', { dtype: 'F32', shape: [data.length], data }]], { version: String(i) });
      }`;
    const delayMs = 50 + Math.floor(Math.random() * 400);
    await killAfterSignal(script, target, 'writing 1', delayMs);
    const { tensors, metadata } = parseSafetensors(readFileSync(target), 'target');
    const w = tensors.get('w')!.data as Float32Array;
    if (metadata.version === 'old') {
      expect(Array.from(w)).toEqual([0.5, 0.5, 0.5, 0.5]);
    } else {
      const version = Number(metadata.version);
      expect(Number.isInteger(version) && version >= 1, `version ${metadata.version}, delay ${delayMs} ms`).toBe(true);
      expect(w.length).toBe(elements);
      expect(w.every((value) => value === version), `delay ${delayMs} ms`).toBe(true);
    }
  });
});
