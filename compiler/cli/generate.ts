import { Option, type Command } from 'commander';
import { UserError } from '../../runtime/errors.js';
import type { GenerateOptions } from '../../runtime/index.js';
import type { DeviceMode } from '../../runtime/model-host.js';
import type { ModelSpec } from '../spec.js';
import { checkModelFile, selectOneModel } from './select-model.js';

const DEVICE_MODES: readonly DeviceMode[] = ['auto', 'native', 'cpu-gl'];
/** Vocabularies of this size are bytes: prompts are UTF-8 text and output is decoded as UTF-8. */
const BYTE_VOCAB = 256;

interface GenerateFlags {
  weights?: string;
  initSeed?: string;
  prompt?: string;
  tokens?: string;
  n: string;
  temperature: string;
  topK: string;
  topP: string;
  seed: string;
  device: DeviceMode;
  model?: string;
  stats?: boolean;
}

/** A number flag as the user wrote it; anything else is a one-line UserError (exit 1). */
function numberFlag(flag: string, text: string, whole: boolean): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || (whole && !Number.isSafeInteger(n))) {
    throw new UserError(`${flag} ${text}: expected ${whole ? 'a whole number' : 'a number'}`);
  }
  return n;
}

/** The prompt's token ids: UTF-8 bytes of `--prompt` (byte-level models only) or the ids of `--tokens`. */
function promptIds(spec: ModelSpec, flags: GenerateFlags): Int32Array {
  if (flags.prompt !== undefined) {
    if (spec.vocabSize !== BYTE_VOCAB) {
      throw new UserError(`--prompt needs a byte-level model (vocab ${BYTE_VOCAB}); ${spec.name} has vocab ${spec.vocabSize} and no tokenizer: give token ids with --tokens`);
    }
    const bytes = new TextEncoder().encode(flags.prompt);
    if (bytes.length === 0) throw new UserError('--prompt is empty: give at least one character');
    return Int32Array.from(bytes);
  }
  const words = (flags.tokens ?? '').split(/[\s,]+/).filter(Boolean);
  if (words.length === 0) throw new UserError('--tokens is empty: give at least one token id');
  return Int32Array.from(
    words.map((w, i) => {
      const id = Number(w);
      if (!/^\d+$/.test(w) || id >= spec.vocabSize) {
        throw new UserError(`--tokens: ${w} (at ${i}) is not a token id of ${spec.name} (vocab ${spec.vocabSize}: ids 0..${spec.vocabSize - 1})`);
      }
      return id;
    }),
  );
}

/** Writes generated tokens as they come: complete UTF-8 characters for byte-level models, else ids. */
function tokenWriter(spec: ModelSpec): { write(token: number): void; end(): void } {
  if (spec.vocabSize === BYTE_VOCAB) {
    const decoder = new TextDecoder('utf-8');
    return {
      write: (t) => {
        const text = decoder.decode(Uint8Array.of(t), { stream: true });
        if (text) process.stdout.write(text);
      },
      end: () => process.stdout.write(`${decoder.decode()}\n`),
    };
  }
  let first = true;
  return {
    write: (t) => {
      process.stdout.write(first ? `${t}` : ` ${t}`);
      first = false;
    },
    end: () => process.stdout.write('\n'),
  };
}

async function generate(file: string, flags: GenerateFlags): Promise<void> {
  if (flags.weights === undefined && flags.initSeed === undefined) {
    throw new UserError('--weights <checkpoint.safetensors> is required (for a smoke test without one, --init-seed <n> uses randomly initialised weights)', 2);
  }
  if (flags.prompt === undefined && flags.tokens === undefined) throw new UserError('give the prompt with --prompt <text> or --tokens <ids>', 2);
  const options: GenerateOptions = {
    maxTokens: numberFlag('-n', flags.n, true),
    temperature: numberFlag('--temperature', flags.temperature, false),
    topK: numberFlag('--top-k', flags.topK, true),
    topP: numberFlag('--top-p', flags.topP, false),
    seed: numberFlag('--seed', flags.seed, true),
  };
  const initSeed = flags.initSeed === undefined ? undefined : numberFlag('--init-seed', flags.initSeed, true);
  const spec = selectOneModel(checkModelFile(file, 'nothing generated'), flags.model, file);
  const prompt = promptIds(spec, flags);

  // the runtime (kernel planners, npm webgpu) loads only now: other commands start without it
  const { ConfiguredModel, checkSampling, nodeHost } = await import('../../runtime/node.js');
  checkSampling(options, spec.vocabSize);
  const loaded =
    flags.weights === undefined
      ? await ConfiguredModel.create(spec, nodeHost, { seed: initSeed ?? 0, device: flags.device })
      : await ConfiguredModel.load(spec, nodeHost, flags.weights, { device: flags.device });
  const out = tokenWriter(spec);
  const started = performance.now();
  let count = 0;
  let closed = false;
  const onError = (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    closed = true; // the reader went away (e.g. `| head`): stop quietly
  };
  process.stdout.on('error', onError);
  try {
    for await (const token of loaded.generate(prompt, options)) {
      out.write(token);
      count++;
      if (closed) break;
    }
    if (!closed) out.end();
  } finally {
    loaded.dispose();
  }
  if (flags.stats) {
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(`xlstm: ${prompt.length} prompt tokens, ${count} generated in ${seconds.toFixed(2)} s (${(count / seconds).toFixed(1)} tokens/s)\n`);
  }
}

export function registerGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description('generate tokens from a prompt with a model and its weights, printing them as they come (sampling on the GPU)')
    .argument('<model>', '.xlstm file')
    .option('--weights <file>', 'checkpoint: the official state_dict() as .safetensors')
    .addOption(new Option('--init-seed <n>', 'instead of --weights: randomly initialised weights from this seed (a smoke test; the output is noise)').conflicts('weights'))
    .addOption(new Option('--prompt <text>', 'prompt text, fed as UTF-8 bytes (byte-level models: vocab 256)').conflicts('tokens'))
    .option('--tokens <ids>', 'prompt as token ids, separated by commas or spaces')
    .option('-n, --max-tokens <n>', 'how many tokens to generate', '100')
    .option('--temperature <t>', 'softmax temperature; 0 picks the most likely token every time', '1')
    .option('--top-k <k>', 'sample among the k most likely tokens only; 0 keeps all', '0')
    .option('--top-p <p>', 'sample among the most likely tokens whose probabilities reach p; 1 keeps all', '1')
    .option('--seed <n>', 'seed of the sampling draws: the same seed gives the same output', '0')
    .addOption(new Option('--device <mode>', 'which WebGPU backend to use').choices(DEVICE_MODES).default('auto'))
    .option('--model <name>', 'the model to run when the file declares several')
    .option('--stats', 'print token counts and speed to stderr at the end')
    .action((model: string, flags: GenerateFlags & { maxTokens: string }) => generate(model, { ...flags, n: flags.maxTokens }));
}
