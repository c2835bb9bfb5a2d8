import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lowerModel } from '../../../compiler/ir/lower.js';
import type { MlstmForm } from '../../../compiler/ir/types.js';
import { readSafetensorsFile } from '../../../runtime/io/safetensors-node.js';
import { tensorToFloat64, tensorToInt32, type Tensor } from '../../../runtime/io/safetensors.js';
import { goldenCases, goldenSpec, type GoldenCase } from './golden-spec.js';
import { interpretIr } from './interpret.js';

/**
 * The IR is the official forward computation: executed op by op with the float64 reference ops on
 * the golden weights, it reproduces the official logits, loss and per-block activations.
 */

async function load(c: GoldenCase, file: string): Promise<Map<string, Tensor>> {
  return (await readSafetensorsFile(join(c.dir, file))).tensors;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

async function run(c: GoldenCase, form: MlstmForm, chunkSize?: number) {
  const [weights, outputs] = await Promise.all([load(c, 'weights.safetensors'), load(c, 'outputs.safetensors')]);
  const params = new Map([...weights].map(([name, t]) => [name, tensorToFloat64(t, name)]));
  const tokens = tensorToInt32(outputs.get('inputs') as Tensor, 'inputs');
  const targets = tensorToInt32(outputs.get('targets') as Tensor, 'targets');
  const { batch_size: batch, seq_len: seqLen } = c.config.golden;
  const ir = lowerModel(goldenSpec(c), chunkSize === undefined ? { batch, seqLen, mlstmForm: form } : { batch, seqLen, mlstmForm: form, chunkSize });
  return { ir, outputs, result: interpretIr(ir, params, tokens, targets) };
}

describe('the IR executed with the float64 reference ops reproduces the golden files', () => {
  for (const c of goldenCases()) {
    it(`${c.name}: parallel form matches logits (1e-10), loss (1e-12) and every activation tap`, async () => {
      const { ir, outputs, result } = await run(c, 'parallel');
      const logits = result.values.get(ir.outputs.logits) as Float64Array;
      expect(maxAbsDiff(logits, tensorToFloat64(outputs.get('logits') as Tensor))).toBeLessThan(1e-10);
      expect(Math.abs(result.loss - (tensorToFloat64(outputs.get('loss') as Tensor)[0] as number))).toBeLessThan(1e-12);
      const activations = await load(c, 'activations.safetensors');
      for (const [name, id] of Object.entries(ir.taps)) {
        expect(maxAbsDiff(result.values.get(id) as Float64Array, tensorToFloat64(activations.get(name) as Tensor)), name).toBeLessThan(1e-10);
      }
    });

    // both share the official step API's stabiliser, so both match logits_step (see golden README)
    for (const [form, chunkSize] of [
      ['recurrent', undefined],
      ['chunkwise', 5],
    ] as const) {
      it(`${c.name}: ${form} form matches logits_step (1e-10)`, async () => {
        const { ir, outputs, result } = await run(c, form, chunkSize);
        const logits = result.values.get(ir.outputs.logits) as Float64Array;
        expect(maxAbsDiff(logits, tensorToFloat64(outputs.get('logits_step') as Tensor))).toBeLessThan(1e-10);
      });
    }
  }
});
