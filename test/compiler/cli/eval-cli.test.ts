import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkSource } from '../../../compiler/check/index.js';
import { registerEvalCommand } from '../../../compiler/cli/eval.js';
import { parameterSpecs } from '../../../compiler/params.js';
import type { ModelSpec } from '../../../compiler/spec.js';
import { UserError } from '../../../runtime/errors.js';
import { float32Tensor, float64Tensor, serializeSafetensors, tensorToFloat64, type Tensor } from '../../../runtime/io/safetensors.js';
import { readSafetensorsFile } from '../../../runtime/io/safetensors-node.js';
import { referenceForward, referenceForwardRecurrent, referenceLossAndGrads } from '../../../runtime/reference/index.js';
import { createRng, randomTokens } from '../../helpers/random.js';
import { readFloatTensors } from '../../helpers/read-floats.js';
import { randomWeights } from '../../helpers/random-model.js';
import { lines, requireBuilt, runXlstm, type CliRun } from './spawn-xlstm.js';

const SOURCE = `
model Tiny {
  vocab 11
  embed 16
  context 8
  blocks 2 slstm_at [1]
  mlstm { heads 2 }
  slstm { heads 2 }
}
`;
const OTHER = SOURCE.replace('model Tiny', 'model Wide').replace('vocab 11', 'vocab 13').replace('embed 16', 'embed 32');
const B = 2;
const T = 5;
const V = 11;
const SENTINEL = 'an existing output file that a failed run must leave alone';

const rng = createRng();
let dir: string;
let spec: ModelSpec;
let weights: Map<string, Float64Array>;
let inputs: Int32Array;
let targets: Int32Array;

function xlstm(...args: string[]): CliRun {
  return runXlstm(dir, ...args);
}

function ids(shape: number[], values: Int32Array | number[]): Tensor {
  return { dtype: 'I64', shape, data: BigInt64Array.from(values, (v) => BigInt(v)) };
}

function write(name: string, tensors: [string, Tensor][]): void {
  writeFileSync(join(dir, name), serializeSafetensors(tensors));
}

function specOf(source: string): ModelSpec {
  const model = checkSource(source, 'inline.xlstm').models[0];
  if (model === undefined) throw new Error('test model does not check');
  return model;
}

function stateDict(s: ModelSpec, w: Map<string, Float64Array>): [string, Tensor][] {
  return parameterSpecs(s).map((p) => [p.name, float64Tensor(p.shape, w.get(p.name)!)]);
}

beforeAll(() => {
  requireBuilt('eval');
  dir = mkdtempSync(join(tmpdir(), 'xlstm-eval-'));
  writeFileSync(join(dir, 'tiny.xlstm'), SOURCE);
  writeFileSync(join(dir, 'two.xlstm'), SOURCE + OTHER);
  writeFileSync(join(dir, 'broken.xlstm'), SOURCE.replace('heads 2 }\n}', 'heads 3 }\n}'));
  spec = specOf(SOURCE);
  weights = randomWeights(spec, rng);
  write('w.safetensors', stateDict(spec, weights));
  const wide = specOf(OTHER);
  write('wide.safetensors', stateDict(wide, randomWeights(wide, rng)));
  inputs = randomTokens(rng, B * T, V);
  targets = randomTokens(rng, B * T, V);
  write('in.safetensors', [['inputs', ids([B, T], inputs)], ['targets', ids([B, T], targets)]]);
  // int32 ids and an unrelated tensor, which eval ignores
  write('in32.safetensors', [['note', float32Tensor([1])], ['inputs', { dtype: 'I32', shape: [B, T], data: inputs.slice() }]]);
  const bad = inputs.slice();
  bad[T + 3] = V;
  write('out-of-range.safetensors', [['inputs', ids([B, T], bad)]]);
  bad[T + 3] = 0;
  bad[2] = -1;
  write('negative.safetensors', [['inputs', ids([B, T], bad)]]);
  write('float.safetensors', [['inputs', float32Tensor([B, T], inputs)]]);
  write('rank1.safetensors', [['inputs', ids([B * T], inputs)]]);
  write('no-targets-shape.safetensors', [['inputs', ids([B, T], inputs)], ['targets', ids([B, T - 1], targets.slice(0, B * (T - 1)))]]);
  write('empty.safetensors', [['inputs', ids([B, 0], [])]]);
  const full = readFileSync(join(dir, 'w.safetensors'));
  writeFileSync(join(dir, 'truncated.safetensors'), full.subarray(0, full.length - 100));
  writeFileSync(join(dir, 'garbage.safetensors'), 'this is not a safetensors file at all');
  mkdirSync(join(dir, 'adir'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('xlstm eval', () => {
  it('writes logits, loss, step logits and gradients equal to the float64 reference', async () => {
    const r = xlstm('eval', 'tiny.xlstm', '--weights', 'w.safetensors', '--inputs', 'in.safetensors', '--out', 'out.safetensors', '--step', '--grads', 'g.safetensors');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const expected = referenceLossAndGrads(spec, weights, inputs, targets, B, T);
    expect(lines(r.stdout)).toEqual([
      `wrote out.safetensors: logits [2,5,11], logits_step [2,5,11], loss ${expected.loss}`,
      `wrote g.safetensors: gradients of ${expected.grads.size} parameter tensors`,
    ]);
    const out = await readFloatTensors(join(dir, 'out.safetensors'));
    expect([...out.keys()]).toEqual(['logits', 'logits_step', 'loss']);
    expect(out.get('logits')).toEqual({ shape: [B, T, V], values: expected.logits });
    expect(out.get('logits_step')).toEqual({ shape: [B, T, V], values: referenceForwardRecurrent(spec, weights, inputs, B, T) });
    expect(out.get('loss')).toEqual({ shape: [], values: Float64Array.of(expected.loss) });
    // the loss by hand from the logits: mean over positions of logsumexp − logit of the target
    const logits = expected.logits;
    let sum = 0;
    for (let row = 0; row < B * T; row++) {
      const z = logits.subarray(row * V, (row + 1) * V);
      const max = Math.max(...z);
      sum += max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0)) - z[targets[row]!]!;
    }
    expect(Math.abs(out.get('loss')!.values[0]! - sum / (B * T))).toBeLessThan(1e-12);
    const grads = await readFloatTensors(join(dir, 'g.safetensors'));
    expect([...grads.keys()]).toEqual(parameterSpecs(spec).map((p) => p.name));
    for (const p of parameterSpecs(spec)) expect(grads.get(p.name), `${p.name}, seed ${rng.seed}`).toEqual({ shape: p.shape, values: expected.grads.get(p.name) });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('takes int32 ids, ignores other tensors, and writes only logits without targets', async () => {
    const r = xlstm('eval', 'tiny.xlstm', '--weights', 'w.safetensors', '--inputs', 'in32.safetensors', '--out', 'plain.safetensors', '--backend', 'reference');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('wrote plain.safetensors: logits [2,5,11]\n');
    const out = await readFloatTensors(join(dir, 'plain.safetensors'));
    expect([...out.keys()]).toEqual(['logits']);
    expect(out.get('logits')!.values).toEqual(referenceForward(spec, weights, inputs, B, T).logits);
  });

  it('needs --model when the file declares several', () => {
    const r = xlstm('eval', 'two.xlstm', '--weights', 'w.safetensors', '--inputs', 'in.safetensors', '--out', 'two.safetensors');
    expect(r.stderr).toBe('xlstm: two.xlstm: declares 2 models (Tiny, Wide); choose one with --model\n');
    expect(r.status).toBe(1);
  });

  it('fails with one line and exit 1 on bad input, leaving an existing output file as it was', () => {
    writeFileSync(join(dir, 'kept.safetensors'), SENTINEL);
    for (const [inputsFile, message] of [
      ['out-of-range.safetensors', 'xlstm: out-of-range.safetensors: tensor "inputs": token id 11 at [1,3] is not below the vocabulary size (vocab 11: ids 0..10)\n'],
      ['in32.safetensors', 'xlstm: --grads needs targets: in32.safetensors holds no tensor "targets" (token ids [batch, time], the same shape as inputs)\n'],
    ]) {
      const r = xlstm('eval', 'tiny.xlstm', '--weights', 'w.safetensors', '--inputs', inputsFile!, '--out', 'kept.safetensors', '--grads', 'g2.safetensors');
      expect(r.stderr).toBe(message);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
    }
    expect(readFileSync(join(dir, 'kept.safetensors'), 'utf8')).toBe(SENTINEL);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.startsWith('g2'))).toEqual([]);
  });

  it('is a usage error (exit 2) to pass an unknown flag or leave out --out', () => {
    const unknown = xlstm('eval', 'tiny.xlstm', '--weights', 'w.safetensors', '--inputs', 'in.safetensors', '--out', 'u.safetensors', '--bogus');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    const noOut = xlstm('eval', 'tiny.xlstm', '--weights', 'w.safetensors', '--inputs', 'in.safetensors');
    expect(noOut.status).toBe(2);
    expect(noOut.stderr).toContain("required option '--out <file>' not specified");
    expect(readdirSync(dir).some((f) => f.startsWith('u.'))).toBe(false);
  });

  // The rest of the messages in-process (the spawned cases above show how main prints them): the
  // same command code, without paying a Node start-up per case.
  describe('bad input messages', () => {
    async function evalError(model: string, flags: string[]): Promise<string> {
      const program = new Command().exitOverride();
      registerEvalCommand(program);
      const out = join(dir, 'kept.safetensors');
      writeFileSync(out, SENTINEL);
      const args = ['eval', join(dir, model), '--weights', join(dir, 'w.safetensors'), '--inputs', join(dir, 'in.safetensors'), '--out', out, ...flags];
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        await program.parseAsync(args, { from: 'user' });
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        expect(e.message).not.toContain('\n');
        expect(e.exitCode).toBe(1);
        if (!flags.includes('--out')) expect(readFileSync(out, 'utf8')).toBe(SENTINEL);
        return e.message.replaceAll(`${dir}/`, '');
      } finally {
        stderr.mockRestore();
      }
      throw new Error(`eval ${flags.join(' ')} succeeded`);
    }

    const at = (name: string) => join(dir, name);
    it.each([
      ['a negative id', ['--inputs', 'negative.safetensors'], 'negative.safetensors: tensor "inputs": token id -1 at [0,2] is negative (vocab 11: ids 0..10)'],
      ['float ids', ['--inputs', 'float.safetensors'], 'float.safetensors: tensor "inputs": token ids must be integers (I64, I32, ...), got F32'],
      ['rank-1 ids', ['--inputs', 'rank1.safetensors'], 'rank1.safetensors: tensor "inputs": expected shape [batch, time], got [10]'],
      ['no tokens', ['--inputs', 'empty.safetensors'], 'empty.safetensors: tensor "inputs": holds no tokens (shape [2,0])'],
      ['targets of another shape', ['--inputs', 'no-targets-shape.safetensors'], 'no-targets-shape.safetensors: tensor "targets": shape [2,4] does not match inputs [2,5]'],
      ['truncated weights', ['--weights', 'truncated.safetensors'], /^truncated\.safetensors: file is truncated: the tensors need \d+ data bytes but only \d+ follow the header$/],
      ['a file that is not safetensors', ['--weights', 'garbage.safetensors'], /^garbage\.safetensors: header length \d+ exceeds the limit of 100000000 bytes; not a safetensors file\?$/],
      ['a directory as weights', ['--weights', 'adir'], 'adir: is a directory, expected a safetensors file'],
      ['a directory as output', ['--out', 'adir'], 'adir: is a directory, expected a .safetensors file to write'],
      ['an output in a missing directory', ['--out', 'nowhere/out.safetensors'], 'nowhere/out.safetensors: cannot write: directory nowhere does not exist'],
      ['the inputs file as output', ['--grads', 'in.safetensors'], '--grads in.safetensors: the same file as --inputs; choose another output file'],
    ] as [string, string[], string | RegExp][])('%s', async (_what, flags, message) => {
      const absolute = flags.map((f, i) => (i % 2 === 1 && flags[i - 1] !== '--backend' ? at(f) : f));
      const error = await evalError('tiny.xlstm', absolute);
      if (typeof message === 'string') expect(error).toBe(message);
      else expect(error).toMatch(message);
    });

    it('lists every problem of weights for another model, and what that model looks like', async () => {
      const wide = specOf(OTHER);
      const wideShapes = new Map(parameterSpecs(wide).map((p) => [p.name, p.shape.join(',')]));
      const misShaped = parameterSpecs(spec).filter((p) => wideShapes.get(p.name) !== p.shape.join(',')).length;
      expect(await evalError('tiny.xlstm', ['--weights', at('wide.safetensors')])).toBe(
        `wide.safetensors does not fit model Tiny: ${misShaped} mis-shaped (xlstm_block_stack.blocks.0.xlstm_norm.weight: file [32], model [16], ` +
          'xlstm_block_stack.blocks.0.xlstm.proj_up.weight: file [128,32], model [128,16], xlstm_block_stack.blocks.0.xlstm.proj_down.weight: ' +
          `file [32,64], model [16,64], … ${misShaped - 3} more); the file looks like a model with vocab 13, embed 32 where Tiny has vocab 11, embed 16`,
      );
    });

    it('refuses a model file with errors and picks models by name', async () => {
      expect(await evalError('broken.xlstm', [])).toBe('broken.xlstm: 1 error; nothing evaluated');
      expect(await evalError('two.xlstm', ['--model', 'Tiy'])).toBe('two.xlstm: no model named Tiy (did you mean Tiny?); it declares Tiny, Wide');
    });
  });
});
