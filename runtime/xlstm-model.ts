import { parameterSpecs } from '../compiler/params.js';
import type { ModelSpec } from '../compiler/spec.js';
import type { XlstmDevice } from './device.js';
import { UserError } from './errors.js';
import { generateTokens } from './generate/generate-tokens.js';
import { checkSampling, type SamplingOptions } from './generate/sampling.js';
import { initializeParameters } from './init.js';
import { toCheckpointTensors } from './io/checkpoint.js';
import { float32Tensor, serializeSafetensors, tensorToFloat64, type Tensor } from './io/safetensors.js';
import { specOfConfig, type ModelConfig } from './model-config.js';
import type { DeviceMode, ModelHost } from './model-host.js';
import type { ModelState } from './model/model-state.js';
import { WebGpuModel } from './model/webgpu-model.js';
import { toTokenBatch, type TokenInput } from './token-input.js';
import { weightsFromBytes, weightsFromMap, type WeightsSource } from './weights-source.js';

export interface DeviceOptions {
  /** A device to run on (kept by `dispose`), or which backend to acquire one from (default 'auto'). */
  device?: XlstmDevice | DeviceMode;
  /** The most tokens per sequence one pass computes; longer inputs run in pieces (see WebGpuModel). */
  pieceLength?: number;
}

export interface CreateOptions extends DeviceOptions {
  /** Seed of the weight initialisation (default 0): the same seed gives the same weights everywhere. */
  seed?: number;
}

export type LoadOptions = DeviceOptions;

export interface GenerateOptions extends SamplingOptions {
  /** Continue this state (batch 1, advanced in place) instead of starting from zero. */
  state?: ModelState;
}

/** Logits of a forward pass: row-major [batch, time, vocab] with the vocabulary size as its type. */
export interface Logits<V extends number> {
  readonly data: Float32Array;
  readonly shape: readonly [batch: number, time: number, vocab: V];
  /** The logits of sequence `b` at position `t` (a view, not a copy). */
  at(b: number, t: number): Float32Array;
}

/** What a model instance is made of; generated classes pass it from `createParts`/`loadParts` to the constructor. */
export interface ModelParts<C extends ModelConfig> {
  config: C;
  spec: ModelSpec;
  host: ModelHost;
  device: XlstmDevice;
  ownsDevice: boolean;
  runner: WebGpuModel;
  weights: Map<string, Float32Array>;
}

/**
 * The model class generated modules extend (`class CharLm extends XlstmModel<typeof config>`): a
 * WebGPU runner (runtime/model/) for one resolved model, with inputs as plain arrays, weights from
 * a seed or a checkpoint, token generation, and saving. Kernels are planned by the runner for each
 * batch size and length used, for the device in use; the config is all a model needs.
 */
export class XlstmModel<C extends ModelConfig> {
  readonly config: C;
  private readonly parts: ModelParts<C>;
  private disposed = false;

  protected constructor(parts: ModelParts<C>) {
    this.config = parts.config;
    this.parts = parts;
  }

  /** Parts of a model with freshly initialised weights (the official initialisation, drawn from `seed`). */
  static async createParts<C extends ModelConfig>(config: C, host: ModelHost, options: CreateOptions = {}): Promise<ModelParts<C>> {
    const spec = specOfConfig(config);
    return XlstmModel.assemble(config, spec, host, options, initializeParameters(spec, options.seed ?? 0));
  }

  /** Parts of a model with the weights of a checkpoint (location or bytes) or of a map by official name. */
  static async loadParts<C extends ModelConfig>(config: C, host: ModelHost, weights: WeightsSource, options: LoadOptions = {}): Promise<ModelParts<C>> {
    const spec = specOfConfig(config);
    const values =
      typeof weights === 'string'
        ? await host.readWeights(spec, weights)
        : weights instanceof Uint8Array
          ? weightsFromBytes(spec, weights, 'weights')
          : weightsFromMap(spec, weights);
    return XlstmModel.assemble(config, spec, host, options, values);
  }

  private static async assemble<C extends ModelConfig>(
    config: C,
    spec: ModelSpec,
    host: ModelHost,
    options: DeviceOptions,
    weights: Map<string, Float32Array>,
  ): Promise<ModelParts<C>> {
    const given = typeof options.device === 'object' ? options.device : undefined;
    const device = given ?? (await host.acquireDevice(typeof options.device === 'string' ? options.device : 'auto'));
    try {
      const runner = new WebGpuModel(spec, device, options.pieceLength === undefined ? {} : { pieceLength: options.pieceLength });
      runner.loadWeights(weights);
      return { config, spec, host, device, ownsDevice: given === undefined, runner, weights };
    } catch (e) {
      if (given === undefined) device.destroy();
      throw e;
    }
  }

  /** The device the model runs on. */
  get device(): XlstmDevice {
    return this.parts.device;
  }

  /** The runner underneath, for what this class does not offer (loss, step-wise logits, reading the state). */
  get runner(): WebGpuModel {
    this.checkUsable();
    return this.parts.runner;
  }

  /** A zero state for `batch` sequences (`forward` makes one when given none). */
  createState(batch = 1): ModelState {
    return this.runner.createState(batch);
  }

  /**
   * Logits of `tokens` ([batch, time]: one sequence as `number[]`, several as `number[][]`),
   * continuing `state` if given (advanced in place and returned), else from the zero state (a new
   * state is returned). Feeding a sequence in pieces, passing the state along, gives the logits of
   * feeding it whole.
   */
  async forward(tokens: TokenInput, state?: ModelState): Promise<{ logits: Logits<C['vocabSize']>; state: ModelState }> {
    const V = this.config.vocabSize as C['vocabSize'];
    const batch = toTokenBatch(tokens, V);
    const out = await this.runner.forward(batch.ids, batch.batch, batch.time, state);
    const data = out.logits;
    const shape = [batch.batch, batch.time, V] as const;
    return { logits: { data, shape, at: (b, t) => data.subarray((b * batch.time + t) * V, (b * batch.time + t + 1) * V) }, state: out.state };
  }

  /**
   * Tokens sampled one by one after `prompt` (one sequence), each yielded as soon as the device has
   * drawn it: temperature, top-k and top-p as in `options`, draws from `options.seed` (the same
   * seed gives the same tokens). Stopping the iteration early is fine.
   */
  async *generate(prompt: TokenInput, options: GenerateOptions): AsyncGenerator<number> {
    const sampling = checkSampling(options, this.config.vocabSize);
    const ids = toTokenBatch(prompt, this.config.vocabSize, 'prompt');
    if (ids.batch !== 1) throw new UserError(`prompt: generate takes one sequence, got ${ids.batch}`);
    const state = options.state ?? this.createState(1);
    try {
      yield* generateTokens(this.runner, ids.ids, state, sampling);
    } finally {
      if (options.state === undefined) state.dispose();
    }
  }

  /** The weights as a .safetensors checkpoint: official names and state_dict order, float32. */
  toSafetensors(): Uint8Array {
    return serializeSafetensors(this.checkpointTensors(), this.checkpointMetadata());
  }

  /** Writes the weights as a .safetensors checkpoint (atomically, in Node) that the official model loads. */
  async save(location: string): Promise<void> {
    this.checkUsable();
    await this.parts.host.writeWeights(location, this.checkpointTensors(), this.checkpointMetadata());
  }

  /** Frees the model's device memory, and the device if the model acquired it. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.parts.runner.dispose();
    if (this.parts.ownsDevice) this.parts.device.destroy();
  }

  private checkpointTensors(): Map<string, Tensor> {
    this.checkUsable();
    const { spec, weights } = this.parts;
    // every state_dict entry, a tied head included (as the official state_dict has it)
    const values = new Map(parameterSpecs(spec).map((p) => [p.name, Float64Array.from(weights.get(p.tiedTo ?? p.name)!)]));
    return new Map([...toCheckpointTensors(spec, values)].map(([name, t]) => [name, float32Tensor(t.shape, tensorToFloat64(t))]));
  }

  private checkpointMetadata(): Record<string, string> {
    return { format: 'pt', model: this.parts.spec.name, producer: 'xlstm-dsl' };
  }

  private checkUsable(): void {
    if (this.disposed) throw new UserError(`this ${this.parts.spec.name} model was disposed`);
  }
}

/**
 * A model whose config is known only at run time (a .xlstm file checked by the CLI, a config
 * fetched by an app); generated classes are the typed way to the same thing.
 */
export class ConfiguredModel extends XlstmModel<ModelConfig> {
  static async create(config: ModelConfig, host: ModelHost, options: CreateOptions = {}): Promise<ConfiguredModel> {
    return new ConfiguredModel(await XlstmModel.createParts(config, host, options));
  }

  static async load(config: ModelConfig, host: ModelHost, weights: WeightsSource, options: LoadOptions = {}): Promise<ConfiguredModel> {
    return new ConfiguredModel(await XlstmModel.loadParts(config, host, weights, options));
  }
}
