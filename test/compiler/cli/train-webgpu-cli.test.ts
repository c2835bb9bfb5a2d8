/**
 * `xlstm train` on the WebGPU backend: the default where a device can be acquired (f32 checkpoint,
 * resumable), and the reference with a note where none can.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensorsFile } from '../../../runtime/io/safetensors-node.js';
import { createRng } from '../../helpers/random.js';
import { tinySource } from '../../runtime/train/tiny-model.js';
import { lines, requireBuilt, ROOT, runXlstm } from './spawn-xlstm.js';

const rng = createRng();
let dir: string;

beforeAll(() => {
  requireBuilt('train');
  dir = mkdtempSync(join(tmpdir(), 'xlstm-train-gpu-'));
  writeFileSync(join(dir, 'tiny.xlstm'), tinySource({ vocab: 256 }));
  const words = ['an', 'xlstm', 'learns', 'the', 'next', 'byte', 'of', 'text'];
  writeFileSync(join(dir, 'corpus.txt'), Array.from({ length: 300 }, () => words[rng.int(words.length)]).join(' '));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('xlstm train on WebGPU', () => {
  it('trains on the device by default, writes an f32 checkpoint and resumes from it', async () => {
    const seed = String(rng.int(1000));
    const r = runXlstm(dir, 'train', 'tiny.xlstm', '--data', 'corpus.txt', '--steps', '4', '--batch', '2', '--seq', '8', '--lr', '3e-3', '--out', 'gpu.safetensors', '--seed', seed);
    expect(r.stderr, `seed ${seed}`).toMatch(/training Tiny \(\d+ parameters\) on the webgpu backend: steps 1-4 of 4/);
    expect(r.status, r.stderr).toBe(0);
    expect(lines(r.stdout)[0]).toMatch(/^trained Tiny to step 4 of 4: loss \d+\.\d{4}, validation loss \d+\.\d{4}$/);
    const checkpoint = await readSafetensorsFile(join(dir, 'gpu.safetensors'));
    expect([...checkpoint.tensors.values()].every((t) => t.dtype === 'F32')).toBe(true);
    const resumed = runXlstm(dir, 'train', 'tiny.xlstm', '--backend', 'webgpu', '--data', 'corpus.txt', '--resume', 'gpu.safetensors', '--steps', '6', '--out', 'gpu.safetensors');
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(lines(resumed.stdout)[0]).toMatch(/^trained Tiny to step 6 of 6: /);
  });

  it('falls back to the reference with a note when no device can be acquired', () => {
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin', 'xlstm.js'), 'train', 'tiny.xlstm', '--data', 'corpus.txt', '--steps', '1', '--batch', '1', '--seq', '4', '--out', 'cpu.safetensors'],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, EGL_PLATFORM: 'unusable', VK_ICD_FILENAMES: '/dev/null', VK_DRIVER_FILES: '/dev/null' } },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/xlstm: note: training with --backend reference instead/);
    expect(r.stderr).toMatch(/on the reference backend/);
  });
});
