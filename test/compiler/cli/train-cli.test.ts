import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command, CommanderError } from 'commander';
import { checkSource } from '../../../compiler/check/index.js';
import { registerTrainCommand } from '../../../compiler/cli/train.js';
import { UserError } from '../../../runtime/errors.js';
import { readWeightsFile } from '../../../runtime/io/checkpoint-node.js';
import { createRng } from '../../helpers/random.js';
import { tinySource } from '../../runtime/train/tiny-model.js';
import { lines, requireBuilt, runXlstm, type CliRun } from './spawn-xlstm.js';

const rng = createRng();
let dir: string;

function xlstm(...args: string[]): CliRun {
  return runXlstm(dir, ...args);
}

/**
 * Runs `train` in this process with --data corpus.txt and --out bad.safetensors unless `flag`
 * replaces one of them (a null value drops it); returns what it threw.
 */
async function trainInProcess(model: string, flag: (string | null)[]): Promise<unknown> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerTrainCommand(program);
  const options = new Map<string, string | null>([['--data', join(dir, 'corpus.txt')], ['--out', join(dir, 'bad.safetensors')], [flag[0]!, flag[1]!]]);
  const args = [...options].flatMap(([k, v]) => (v === null ? [] : [k, v]));
  return program.parseAsync(['node', 'xlstm', 'train', join(dir, model), ...args]).then(
    () => undefined,
    (e: unknown) => e,
  );
}

/** Prose of random words: byte-level text for a vocab-256 model. */
function randomText(words: number): string {
  const vocabulary = ['the', 'model', 'reads', 'bytes', 'and', 'learns', 'to', 'predict', 'next', 'one'];
  return Array.from({ length: words }, () => vocabulary[rng.int(vocabulary.length)]).join(' ');
}

beforeAll(() => {
  requireBuilt('train');
  dir = mkdtempSync(join(tmpdir(), 'xlstm-train-'));
  writeFileSync(join(dir, 'tiny.xlstm'), tinySource({ vocab: 256 }));
  writeFileSync(join(dir, 'small-vocab.xlstm'), tinySource({ vocab: 16 }));
  writeFileSync(join(dir, 'corpus.txt'), randomText(200));
  writeFileSync(join(dir, 'empty.txt'), '');
  writeFileSync(join(dir, 'short.txt'), 'short');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('xlstm train', () => {
  it('trains a tiny model for 5 steps: official checkpoint, training state, loss curve, step log; then resumes', async () => {
    const r = xlstm('train', 'tiny.xlstm', '--backend', 'reference', '--data', 'corpus.txt', '--steps', '5', '--batch', '2', '--seq', '8', '--lr', '3e-3', '--log', 'run.jsonl', '--out', 'ck.safetensors', '--seed', String(rng.int(1000)));
    expect(r.stderr, `seed ${rng.seed}`).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    expect(lines(r.stdout)[0]).toMatch(/^trained Tiny to step 5 of 5: loss \d+\.\d{4}, validation loss \d+\.\d{4}$/);
    expect(r.stderr).toMatch(/^training Tiny \(\d+ parameters\) on the reference backend: steps 1-5 of 5, 2×8 tokens per step/);
    expect(lines(r.stderr).filter((l) => l.startsWith('step ')).length).toBeGreaterThan(0);
    for (const f of ['ck.safetensors', 'ck.train.safetensors', 'ck.loss.svg']) expect(existsSync(join(dir, f)), f).toBe(true);
    expect(readFileSync(join(dir, 'ck.loss.svg'), 'utf8')).toContain('<title>Tiny: loss (reference backend)</title>');
    const log = readFileSync(join(dir, 'run.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; lr: number });
    expect(log.map((l) => l.step)).toEqual([1, 2, 3, 4, 5]);
    // the model's warmup 2 from 0 up to --lr
    expect(log.slice(0, 3).map((l) => l.lr)).toEqual([0, 1.5e-3, 3e-3]);
    const spec = checkSource(tinySource({ vocab: 256 }), 'tiny.xlstm').models[0]!;
    const weights = await readWeightsFile(spec, join(dir, 'ck.safetensors'));
    expect(weights.size).toBeGreaterThan(10);

    const resumed = xlstm('train', 'tiny.xlstm', '--backend', 'reference', '--data', 'corpus.txt', '--resume', 'ck.safetensors', '--steps', '7', '--out', 'ck.safetensors', '--log', 'run.jsonl');
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(lines(resumed.stdout)[0]).toMatch(/^trained Tiny to step 7 of 7/);
    expect(readFileSync(join(dir, 'run.jsonl'), 'utf8').trim().split('\n').length).toBe(7);
    const again = xlstm('train', 'tiny.xlstm', '--backend', 'reference', '--data', 'corpus.txt', '--resume', 'ck.safetensors', '--out', 'ck.safetensors');
    expect(again.status).toBe(1);
    expect(again.stderr).toBe('xlstm: ck.safetensors is already at step 7 of 7; pass a larger --steps to train further\n');
  });

  it('exits 2 on a bad flag and 1 on bad data, as one line', () => {
    const flag = xlstm('train', 'tiny.xlstm', '--data', 'corpus.txt', '--out', 'bad.safetensors', '--steps', '0');
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(/--steps <n>' argument '0' is invalid. expected a positive whole number/);
    const data = xlstm('train', 'tiny.xlstm', '--backend', 'reference', '--data', 'empty.txt', '--out', 'bad.safetensors');
    expect(data.status).toBe(1);
    expect(data.stderr).toBe('xlstm: empty.txt: the file is empty; training needs data\n');
    expect(existsSync(join(dir, 'bad.safetensors'))).toBe(false);
  });

  it.each([
    [['--steps', '0'], /--steps <n>' argument '0' is invalid. expected a positive whole number/],
    [['--lr', 'fast'], /--lr <x>' argument 'fast' is invalid. expected a positive number/],
    [['--clip', '-1'], /--clip <x>' argument '-1' is invalid/],
    [['--schedule', 'exp'], /argument 'exp' is invalid. Allowed choices are cosine, linear, constant/],
    [['--backend', 'cuda'], /Allowed choices are reference, webgpu/],
    [['--seq', '40'], /^--seq: sequence length 40 exceeds context 12 of Tiny/],
    [['--data', null], /required option '--data <path>' not specified/],
    [['--out', null], /required option '--out <file>' not specified/],
  ])('refuses %j as a usage error (exit 2)', async (flag, message) => {
    const e = await trainInProcess('tiny.xlstm', flag);
    expect(e instanceof CommanderError || (e instanceof UserError && e.exitCode === 2), String(e)).toBe(true);
    expect((e as Error).message).toMatch(message);
    expect(existsSync(join(dir, 'bad.safetensors'))).toBe(false);
  });

  it.each([
    ['tiny.xlstm', 'missing.txt', /missing\.txt: no such file or directory$/],
    ['tiny.xlstm', 'short.txt', /short\.txt: 5 tokens is shorter than one training window of 9 \(sequence length 8 \+ 1\)/],
    ['small-vocab.xlstm', 'corpus.txt', /corpus\.txt: byte \d+ at offset 0 is outside the vocabulary \[0, 16\) of Tiny; byte-level text needs vocab 256/],
  ])('refuses bad data (exit 1): %s with %s', async (model, data, message) => {
    const e = await trainInProcess(model, ['--data', join(dir, data)]);
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).exitCode).toBe(1);
    expect((e as Error).message).toMatch(message);
    expect(existsSync(join(dir, 'bad.safetensors'))).toBe(false);
  });

});
