import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkSource } from '../../../compiler/check/index.js';
import { registerGenerateCommand } from '../../../compiler/cli/generate.js';
import { parameterSpecs } from '../../../compiler/params.js';
import type { ModelSpec } from '../../../compiler/spec.js';
import { UserError } from '../../../runtime/errors.js';
import { float32Tensor, serializeSafetensors } from '../../../runtime/io/safetensors.js';
import { referenceForward } from '../../../runtime/reference/index.js';
import { createRng, type TestRng } from '../../helpers/random.js';
import { randomWeights } from '../../helpers/random-model.js';
import { requireBuilt, runXlstm, type CliRun } from './spawn-xlstm.js';

const BYTES = 'model Bytes {\n  vocab 256\n  embed 32\n  context 16\n  blocks 2 slstm_at [1]\n  mlstm { heads 2 }\n  slstm { heads 2 }\n}\n';
const IDS = BYTES.replace('model Bytes', 'model Ids').replace('vocab 256', 'vocab 19');
const STEPS = 6;

const rng = createRng();
let dir: string;

function xlstm(...args: string[]): CliRun {
  return runXlstm(dir, ...args);
}

function specOf(source: string): ModelSpec {
  const spec = checkSource(source, 'inline.xlstm').models[0];
  if (spec === undefined) throw new Error('test model does not check');
  return spec;
}

/**
 * Random weights rounded to float32 (what the checkpoint holds), written to `file`, chosen so that
 * the float64 reference's greedy continuation of `prompt` has a clear winner at every step (no
 * near-tie that float32 could flip); returns that continuation.
 */
function greedyCase(spec: ModelSpec, prompt: number[], file: string, r: TestRng): number[] {
  for (;;) {
    const weights = new Map([...randomWeights(spec, r)].map(([k, v]) => [k, Float64Array.from(Float32Array.from(v))]));
    const V = spec.vocabSize;
    const tokens = [...prompt];
    let clear = true;
    for (let i = 0; i < STEPS; i++) {
      const logits = referenceForward(spec, weights, Int32Array.from(tokens), 1, tokens.length).logits.subarray((tokens.length - 1) * V);
      const order = [...logits.keys()].sort((a, b) => logits[b]! - logits[a]!);
      if (logits[order[0]!]! - logits[order[1]!]! < 1e-3 * Math.max(1, Math.abs(logits[order[0]!]!))) clear = false;
      tokens.push(order[0]!);
    }
    if (!clear) continue;
    const tensors = parameterSpecs(spec).map((p) => [p.name, float32Tensor(p.shape, weights.get(p.name)!)] as const);
    writeFileSync(join(dir, file), serializeSafetensors(tensors));
    return tokens.slice(prompt.length);
  }
}

let greedyIds: number[];
let greedyBytes: number[];
const ID_PROMPT = [3, 1, 4, 1, 5];
const TEXT_PROMPT = 'é!'; // two UTF-8 bytes, then one

beforeAll(() => {
  requireBuilt('generate');
  dir = mkdtempSync(join(tmpdir(), 'xlstm-generate-'));
  writeFileSync(join(dir, 'bytes.xlstm'), BYTES);
  writeFileSync(join(dir, 'ids.xlstm'), IDS);
  writeFileSync(join(dir, 'two.xlstm'), BYTES + IDS);
  greedyIds = greedyCase(specOf(IDS), ID_PROMPT, 'ids.safetensors', rng);
  greedyBytes = greedyCase(specOf(BYTES), [...new TextEncoder().encode(TEXT_PROMPT)], 'bytes.safetensors', rng);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('xlstm generate', () => {
  it('prints the greedy continuation of a token-id prompt as ids, equal to the float64 reference', () => {
    const r = xlstm('generate', 'ids.xlstm', '--weights', 'ids.safetensors', '--tokens', ID_PROMPT.join(','), '-n', String(STEPS), '--temperature', '0');
    expect(r.stderr.split('\n').filter((l) => l.startsWith('xlstm:')), `seed ${rng.seed}`).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.stdout, `seed ${rng.seed}`).toBe(`${greedyIds.join(' ')}\n`);
  });

  it('feeds a text prompt as UTF-8 bytes and decodes the bytes it generates as UTF-8', () => {
    const r = xlstm('generate', 'bytes.xlstm', '--weights', 'bytes.safetensors', '--prompt', TEXT_PROMPT, '-n', String(STEPS), '--temperature', '0');
    expect(r.status).toBe(0);
    expect(r.stdout, `seed ${rng.seed}`).toBe(`${new TextDecoder().decode(Uint8Array.from(greedyBytes))}\n`);
  });

  it('samples reproducibly: the same seed gives the same tokens', () => {
    const run = (...extra: string[]) =>
      xlstm('generate', 'two.xlstm', '--model', 'Ids', '--weights', 'ids.safetensors', '--tokens', ID_PROMPT.join(' '), '-n', String(STEPS), ...extra);
    const first = run('--seed', '7', '--temperature', '1.3', '--top-p', '0.95');
    expect(first.status).toBe(0);
    const ids = first.stdout.trim().split(' ').map(Number);
    expect(ids).toHaveLength(STEPS);
    expect(ids.every((t) => Number.isInteger(t) && t >= 0 && t < 19)).toBe(true);
    expect(run('--seed', '7', '--temperature', '1.3', '--top-p', '0.95').stdout).toBe(first.stdout);
  });

  it('generates from random initial weights with --init-seed (a smoke test)', () => {
    const r = xlstm('generate', 'ids.xlstm', '--init-seed', '4', '--tokens', '1', '-n', '3');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split(' ')).toHaveLength(3);
  });

  // Bad input is refused before any device work: these run the command in-process (no Node
  // start-up per case); the exit code is the UserError's or, for usage errors, commander's.
  async function refusal(args: string[]): Promise<{ message: string; exitCode: number }> {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
    registerGenerateCommand(program);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await program.parseAsync(['generate', ...args.map((a) => (a.includes('.xlstm') || a.includes('.safetensors') ? join(dir, a) : a))], { from: 'user' });
    } catch (e) {
      if (e instanceof UserError) return { message: e.message.replaceAll(`${dir}/`, ''), exitCode: e.exitCode };
      if (e instanceof CommanderError) return { message: e.message, exitCode: 2 };
      throw e;
    } finally {
      stderr.mockRestore();
    }
    throw new Error(`generate ${args.join(' ')} succeeded`);
  }

  it('refuses bad input with a one-line message and exit 1', async () => {
    const ids = ['ids.xlstm', '--weights', 'ids.safetensors'];
    const cases: [string[], RegExp][] = [
      [[...ids, '--tokens', '1,19'], /^--tokens: 19 \(at 1\) is not a token id of Ids \(vocab 19: ids 0\.\.18\)$/],
      [[...ids, '--tokens', '1,-2'], /^--tokens: -2 \(at 1\) is not a token id/],
      [[...ids, '--tokens', ' , '], /^--tokens is empty/],
      [['bytes.xlstm', '--weights', 'bytes.safetensors', '--prompt', ''], /^--prompt is empty/],
      [[...ids, '--prompt', 'hi'], /^--prompt needs a byte-level model \(vocab 256\); Ids has vocab 19/],
      [[...ids, '--tokens', '1', '-n', 'ten'], /^-n ten: expected a whole number$/],
      [[...ids, '--tokens', '1', '-n', '-1'], /^maxTokens must be a whole number ≥ 0/],
      [[...ids, '--tokens', '1', '--temperature', '-0.5'], /^temperature must be a finite number ≥ 0/],
      [[...ids, '--tokens', '1', '--top-p', '0'], /^topP must lie in \(0, 1\]/],
      [[...ids, '--tokens', '1', '--top-k', '2.5'], /^--top-k 2\.5: expected a whole number$/],
      [[...ids, '--tokens', '1', '--seed', '-3'], /^seed -3 is not valid/],
      [['ids.xlstm', '--weights', 'bytes.safetensors', '--tokens', '1'], /^bytes\.safetensors does not fit model Ids: .*vocab 256 where Ids has vocab 19/],
      [['ids.xlstm', '--weights', 'missing.safetensors', '--tokens', '1'], /^missing\.safetensors: /],
      [['two.xlstm', '--weights', 'ids.safetensors', '--tokens', '1'], /declares 2 models .*choose one with --model/],
    ];
    for (const [args, message] of cases) {
      const r = await refusal(args);
      expect(r.message, args.join(' ')).toMatch(message);
      expect(r.message).not.toContain('\n');
      expect(r.exitCode, args.join(' ')).toBe(1);
    }
  });

  it('treats missing or conflicting options as usage errors (exit 2)', async () => {
    const noWeights = await refusal(['ids.xlstm', '--tokens', '1']);
    expect(noWeights).toEqual({ message: expect.stringMatching(/--weights <checkpoint\.safetensors> is required .*--init-seed/), exitCode: 2 });
    expect((await refusal(['ids.xlstm', '--weights', 'ids.safetensors'])).exitCode).toBe(2);
    for (const args of [
      ['bytes.xlstm', '--weights', 'bytes.safetensors', '--prompt', 'a', '--tokens', '1'],
      ['ids.xlstm', '--weights', 'ids.safetensors', '--init-seed', '1', '--tokens', '1'],
      ['ids.xlstm', '--weights', 'ids.safetensors', '--tokens', '1', '--device', 'tpu'],
    ]) {
      expect(await refusal(args), args.join(' ')).toEqual({ message: expect.any(String), exitCode: 2 });
    }
  });
});
