import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFile } from '../../../compiler/check/index.js';
import { emitModel, kebabCase, writeFilesAtomically, type EmitOptions } from '../../../compiler/emit/index.js';
import type { ModelSpec } from '../../../compiler/spec.js';
import { initializeParameters } from '../../../runtime/init.js';
import { referenceForward } from '../../../runtime/reference/index.js';
import { relativeError, testRng } from '../../runtime/gpu/gpu-test-kit.js';
import { collect } from '../../helpers/collect.js';

/**
 * Every example compiles to a module that type-checks under strict tsc; the small ones also run:
 * `create` with a seed, `forward` against the float64 reference on the same weights, and `generate`
 * (greedy against the reference's argmax, top-k 1 equal to greedy, a seed reproducible).
 */
const ROOT = join(import.meta.dirname, '..', '..', '..');
const EXAMPLES = join(ROOT, 'examples');
/** Small enough to run here; the others (up to 125M parameters) only compile and type-check. */
const RUNNABLE = ['bench-small', 'parity-base', 'parity-mixed', 'parity-mlstm', 'parity-slstm'];
const RUNTIME_NODE = join(ROOT, 'dist', 'runtime', 'node.js');
const RUNTIME_INDEX = join(ROOT, 'dist', 'runtime', 'index.js');

interface CompiledExample {
  spec: ModelSpec;
  base: string;
}

let dir: string;
const compiled: CompiledExample[] = [];
// the device and model classes come from the compiled runtime the modules import, not from the sources
let runtime: { acquireNodeDevice(o: { mode: string }): Promise<{ destroy(): void }> };
let device: { destroy(): void } | undefined;

/** What the test reads from a generated module (it is loaded as JavaScript, so untyped). */
interface GeneratedClass {
  create(o: { seed: number; device: unknown }): Promise<GeneratedModel>;
}
interface GeneratedModel {
  forward(tokens: number[][]): Promise<{ logits: { data: Float32Array; shape: number[] } }>;
  generate(prompt: number[], o: Record<string, number>): AsyncIterable<number>;
  dispose(): void;
}

beforeAll(async () => {
  if (!existsSync(RUNTIME_NODE)) throw new Error('build first: npx tsc -p tsconfig.build.json');
  dir = mkdtempSync(join(tmpdir(), 'xlstm-modules-'));
  const gen = join(dir, 'gen');
  const runtimeImport = relative(gen, RUNTIME_NODE);
  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.xlstm')).sort()) {
    const result = checkFile(join(EXAMPLES, file));
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    for (const spec of result.models) {
      const options: EmitOptions = {
        kind: 'module',
        shapes: { batch: spec.train.batch, seqLen: spec.train.seqLen },
        shapesChosen: false,
        platform: 'node',
        runtimeImport: runtimeImport.startsWith('.') ? runtimeImport : `./${runtimeImport}`,
        sources: result.sources,
      };
      const emitted = await emitModel(spec, options);
      await writeFilesAtomically(gen, emitted.files);
      compiled.push({ spec, base: kebabCase(spec.name) });
      if (spec.name === 'ParityMixed') {
        // the browser flavour binds to the browser-safe entry alone
        const web = join(gen, 'web');
        const browserImport = relative(web, RUNTIME_INDEX);
        const browser = await emitModel(spec, { ...options, kind: 'ts', platform: 'browser', runtimeImport: browserImport.startsWith('.') ? browserImport : `./${browserImport}` });
        await writeFilesAtomically(web, browser.files);
      }
    }
  }
  // a user's file: the module's types must say what it holds
  writeFileSync(
    join(gen, 'usage.ts'),
    `import { BenchSmall, parameters, type BenchSmallParameterName } from './bench-small.js';
const vocab: 256 = BenchSmall.config.vocabSize;
const embedding: BenchSmallParameterName = 'token_embedding.weight';
// @ts-expect-error not a parameter of BenchSmall
const misspelt: BenchSmallParameterName = 'token_embeding.weight';
const shape: readonly [256, 128] = parameters.find((p) => p.name === 'token_embedding.weight')!.shape as readonly [256, 128];
export async function use(): Promise<number[]> {
  const model = await BenchSmall.create({ seed: 1 });
  const { logits, state } = await model.forward([[1, 2]]);
  const v: 256 = logits.shape[2];
  await model.forward([[3]], state);
  // @ts-expect-error generate takes options with maxTokens
  model.generate([1], { temperature: 1 });
  const out: number[] = [];
  for await (const t of model.generate([1, 2], { maxTokens: 2, temperature: 0.8, topK: 5, topP: 0.9, seed: 3 })) out.push(t);
  await model.save('ckpt.safetensors');
  model.dispose();
  return [vocab, v, embedding.length, misspelt.length, shape[0], ...out];
}
`,
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', types: [], noEmitOnError: true },
      include: ['gen/**/*.ts'],
    }),
  );
  runtime = await import(pathToFileURL(RUNTIME_NODE).href);
}, 120_000);

afterAll(() => {
  device?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('compiled examples', () => {
  it('compiles every example into <kebab>.ts and <kebab>/*.wgsl', () => {
    const names = compiled.map((c) => c.base);
    expect(names).toEqual(expect.arrayContaining([...RUNNABLE, 'char-lm', 'official-readme', 'xlstm-125m']));
    for (const c of compiled) {
      expect(existsSync(join(dir, 'gen', `${c.base}.ts`))).toBe(true);
      const wgsl = readdirSync(join(dir, 'gen', c.base));
      expect(wgsl.length).toBeGreaterThan(0);
      expect(wgsl.every((f) => f.endsWith('.wgsl'))).toBe(true);
      // the generation step samples on the device
      expect(wgsl.some((f) => f.startsWith('step_') && f.endsWith('sample_token.wgsl'))).toBe(true);
    }
  });

  it('type-checks every module and a user file under strict tsc, and emits JavaScript', () => {
    const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
    try {
      execFileSync(tsc, ['-p', join(dir, 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      const out = e as { stdout?: string; stderr?: string };
      throw new Error(`tsc failed:\n${out.stdout ?? ''}${out.stderr ?? ''}`);
    }
    for (const c of compiled) expect(existsSync(join(dir, 'out', `${c.base}.js`))).toBe(true);
    expect(existsSync(join(dir, 'out', 'web', 'parity-mixed.js'))).toBe(true);
  }, 120_000);

  for (const name of RUNNABLE) {
    it(`${name}: create, forward against the float64 reference, generate`, async () => {
      const example = compiled.find((c) => c.base === name)!;
      const { spec } = example;
      const mod = (await import(pathToFileURL(join(dir, 'out', `${name}.js`)).href)) as Record<string, unknown>;
      const Model = mod[spec.name] as GeneratedClass;
      device ??= await runtime.acquireNodeDevice({ mode: 'auto' });
      const { seed, rng } = testRng();
      const V = spec.vocabSize;
      const model = await Model.create({ seed, device });
      try {
        const weights = new Map([...initializeParameters(spec, seed)].map(([k, v]) => [k, Float64Array.from(v)]));
        const tokens = Array.from({ length: 4 }, () => rng.nextInt(V));
        const { logits } = await model.forward([tokens]);
        expect(logits.shape, `seed ${seed}`).toEqual([1, 4, V]);
        const expected = referenceForward(spec, weights, Int32Array.from(tokens), 1, 4).logits;
        expect(relativeError(logits.data, expected), `seed ${seed}`).toBeLessThan(1e-4);

        // greedy: each token is the reference's argmax after the prompt and the tokens before it
        // (a prompt of 5 feeds 4 through the forward pass above, whose plan is then reused)
        const prompt = [...tokens, rng.nextInt(V)];
        const greedy = await collect(model.generate(prompt, { maxTokens: 3, temperature: 0 }));
        const all = [...prompt, ...greedy];
        const reference = referenceForward(spec, weights, Int32Array.from(all), 1, all.length).logits;
        greedy.forEach((token, i) => {
          const row = reference.subarray((prompt.length - 1 + i) * V, (prompt.length + i) * V);
          const best = Math.max(...row);
          expect(row[token]!, `seed ${seed}, generated token ${i}`).toBeGreaterThanOrEqual(best - 1e-4 * Math.max(1, Math.abs(best)));
        });
        expect(await collect(model.generate(prompt, { maxTokens: 3, temperature: 1, topK: 1, seed: 9 })), `seed ${seed}`).toEqual(greedy);

        const sampled = await collect(model.generate(prompt, { maxTokens: 4, temperature: 1.5, seed: 11 }));
        expect(sampled.every((t) => Number.isInteger(t) && t >= 0 && t < V)).toBe(true);
        expect(await collect(model.generate(prompt, { maxTokens: 4, temperature: 1.5, seed: 11 }))).toEqual(sampled);
      } finally {
        model.dispose();
      }
    }, 120_000);
  }
});
