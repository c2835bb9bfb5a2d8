import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UserError } from '../../runtime/errors.js';
import { toCheckpointTensors } from '../../runtime/io/checkpoint.js';
import type { XlstmDevice } from '../../runtime/device.js';
import { acquireNodeDevice } from '../../runtime/device-node.js';
import { readWeightsFile, readWeightsFileF32 } from '../../runtime/io/checkpoint-node.js';
import { float32Tensor, float64Tensor, tensorToFloat64, type Tensor } from '../../runtime/io/safetensors.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../../runtime/io/safetensors-node.js';
import { shapeText } from '../../runtime/io/shape-text.js';
import { readInputsAndTargets, type TokenBatch } from '../../runtime/io/token-batch.js';
import { WebGpuModel } from '../../runtime/model/webgpu-model.js';
import { WebGpuTrainBackend } from '../../runtime/train/webgpu-backend.js';
import { referenceForward, referenceForwardRecurrent, referenceLoss, referenceLossAndGrads } from '../../runtime/reference/index.js';
import type { ModelSpec } from '../spec.js';
import { checkModelFile, selectOneModel } from './select-model.js';

const BACKENDS = ['reference', 'webgpu'] as const;
type Backend = (typeof BACKENDS)[number];

interface EvalOptions {
  weights: string;
  inputs: string;
  out: string;
  /** Unset: webgpu where a device can be acquired, else (or with --grads) the reference. */
  backend?: Backend;
  step?: boolean;
  grads?: string;
  model?: string;
}

interface EvalRequest {
  spec: ModelSpec;
  weightsPath: string;
  inputs: TokenBatch;
  targets?: TokenBatch;
  step: boolean;
  grads: boolean;
}

interface EvalResult {
  /** The backend that ran (the default may fall back to the reference). */
  backend: Backend;
  /** [B, T, V], parallel form. */
  logits: Tensor;
  /** [B, T, V], token by token from the zero state (with --step). */
  logitsStep?: Tensor;
  /** Shape [], mean next-token cross-entropy (with targets). */
  loss?: Tensor;
  /** ∂loss/∂p under official names, in the checkpoint's layout (with --grads). */
  grads?: Map<string, Tensor>;
}

/** The float64 reference executor: exact official semantics, F64 outputs. */
async function evaluateReference(r: EvalRequest): Promise<EvalResult> {
  const weights = await readWeightsFile(r.spec, r.weightsPath);
  const { ids, batch: B, time: T } = r.inputs;
  const V = r.spec.vocabSize;
  const tensor = (values: Float64Array) => float64Tensor([B, T, V], values);
  const step = r.step ? { logitsStep: tensor(referenceForwardRecurrent(r.spec, weights, ids, B, T)) } : {};
  const backend = 'reference';
  if (r.targets === undefined) return { backend, logits: tensor(referenceForward(r.spec, weights, ids, B, T).logits), ...step };
  if (r.grads) {
    const result = referenceLossAndGrads(r.spec, weights, ids, r.targets.ids, B, T);
    return { backend, logits: tensor(result.logits), ...step, loss: float64Tensor([], [result.loss]), grads: toCheckpointTensors(r.spec, result.grads) };
  }
  const logits = referenceForward(r.spec, weights, ids, B, T).logits;
  return { backend, logits: tensor(logits), ...step, loss: float64Tensor([], [referenceLoss(logits, r.targets.ids, B, T, V)]) };
}

/**
 * The fused WGSL kernels on a WebGPU device (runtime/model/), in f32: F32 outputs. With `fallback`
 * (no --backend given), a machine without a usable device gets a note on stderr and the reference.
 */
async function evaluateWebgpu(r: EvalRequest, fallback = false): Promise<EvalResult> {
  const weights = await readWeightsFileF32(r.spec, r.weightsPath);
  let device: XlstmDevice;
  try {
    device = await acquireNodeDevice();
  } catch (e) {
    if (!fallback || !(e instanceof UserError)) throw e;
    process.stderr.write(`xlstm: note: ${e.message}\nxlstm: note: evaluating with --backend reference instead\n`);
    return evaluateReference(r);
  }
  const model = new WebGpuModel(r.spec, device);
  try {
    model.loadWeights(weights);
    const { ids, batch: B, time: T } = r.inputs;
    const tensor = (values: Float32Array) => float32Tensor([B, T, r.spec.vocabSize], values);
    const { logits, loss } = await model.evaluate(ids, B, T, r.targets?.ids);
    const step = r.step ? { logitsStep: tensor(await model.stepLogits(ids, B, T)) } : {};
    const grads = r.grads ? { grads: await webgpuGradients(r, device, weights) } : {};
    return { backend: 'webgpu', logits: tensor(logits), ...step, ...(loss === undefined ? {} : { loss: float32Tensor([], [loss]) }), ...grads };
  } finally {
    model.dispose();
    device.destroy();
  }
}

/** ∂loss/∂p from the training plan's forward and backward kernels, F32 in the checkpoint's layout. */
async function webgpuGradients(r: EvalRequest, device: XlstmDevice, weights: ReadonlyMap<string, Float32Array>): Promise<Map<string, Tensor>> {
  const backend = new WebGpuTrainBackend(r.spec, device, weights);
  try {
    const { ids, batch, time } = r.inputs;
    const { grads } = await backend.lossAndGradients([{ inputs: ids, targets: r.targets!.ids, batch, time }]);
    const tensors = toCheckpointTensors(r.spec, new Map([...grads].map(([name, g]) => [name, Float64Array.from(g)])));
    return new Map([...tensors].map(([name, t]) => [name, float32Tensor(t.shape, tensorToFloat64(t, name))]));
  } finally {
    await backend.dispose();
  }
}

const BACKEND_RUNNERS: Record<Backend, (r: EvalRequest) => Promise<EvalResult>> = {
  reference: evaluateReference,
  webgpu: evaluateWebgpu,
};

/** An output must not replace an input or a directory, and its directory must exist: checked before any work. */
function checkOutputPaths(opts: EvalOptions): void {
  const outputs = [['--out', opts.out], ...(opts.grads === undefined ? [] : [['--grads', opts.grads]])] as const;
  const inputs = [['--weights', opts.weights], ['--inputs', opts.inputs]] as const;
  for (const [flag, path] of outputs) {
    for (const [other, used] of [...inputs, ...outputs]) {
      if (other !== flag && resolve(used) === resolve(path)) throw new UserError(`${flag} ${path}: the same file as ${other}; choose another output file`);
    }
    const target = statSync(path, { throwIfNoEntry: false });
    if (target?.isDirectory()) throw new UserError(`${path}: is a directory, expected a .safetensors file to write`);
    if (!statSync(dirname(path), { throwIfNoEntry: false })?.isDirectory()) {
      throw new UserError(`${path}: cannot write: directory ${dirname(path)} does not exist`);
    }
  }
}

async function evaluate(modelFile: string, opts: EvalOptions): Promise<void> {
  checkOutputPaths(opts);
  const spec = selectOneModel(checkModelFile(modelFile, 'nothing evaluated'), opts.model, modelFile);
  const { inputs, targets } = readInputsAndTargets(await readSafetensorsFile(opts.inputs), spec.vocabSize, opts.inputs);
  if (opts.grads !== undefined && targets === undefined) {
    throw new UserError(`--grads needs targets: ${opts.inputs} holds no tensor "targets" (token ids [batch, time], the same shape as inputs)`);
  }
  if (inputs.time > spec.contextLength && spec.blocks.some((b) => b.kind === 'mlstm')) {
    process.stderr.write(
      `xlstm: warning: ${opts.inputs}: sequence length ${inputs.time} exceeds context ${spec.contextLength}; the official parallel forward refuses that\n`,
    );
  }
  const request: EvalRequest = {
    spec,
    weightsPath: opts.weights,
    inputs,
    ...(targets === undefined ? {} : { targets }),
    step: opts.step === true,
    grads: opts.grads !== undefined,
  };
  const result =
    opts.backend !== undefined ? await BACKEND_RUNNERS[opts.backend](request) : request.grads ? await evaluateReference(request) : await evaluateWebgpu(request, true);
  const outputs: [string, Tensor | undefined][] = [['logits', result.logits], ['logits_step', result.logitsStep], ['loss', result.loss]];
  const written = outputs.filter((o): o is [string, Tensor] => o[1] !== undefined);
  const metadata = { format: 'xlstm-eval/1', model: spec.name, backend: result.backend };
  await writeSafetensorsFile(opts.out, written, metadata);
  const summary = written.map(([name, t]) => (name === 'loss' ? `loss ${tensorToFloat64(t)[0]}` : `${name} ${shapeText(t.shape)}`));
  process.stdout.write(`wrote ${opts.out}: ${summary.join(', ')}\n`);
  if (opts.grads !== undefined && result.grads !== undefined) {
    await writeSafetensorsFile(opts.grads, result.grads, { ...metadata, content: 'gradients of the mean loss' });
    process.stdout.write(`wrote ${opts.grads}: gradients of ${result.grads.size} parameter tensors\n`);
  }
}

export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description('run a model on token ids with weights from a checkpoint: logits, loss, step-by-step logits, gradients')
    .argument('<model>', '.xlstm file')
    .requiredOption('--weights <file>', 'checkpoint: the official state_dict() as .safetensors')
    .requiredOption('--inputs <file>', '.safetensors with "inputs" (integer token ids [batch, time]) and optionally "targets"')
    .requiredOption('--out <file>', '.safetensors to write: logits [batch, time, vocab], loss (with targets), logits_step (with --step)')
    .addOption(
      new Option('--backend <name>', 'where to run (default: webgpu where a device can be acquired, else reference; reference with --grads)').choices(BACKENDS),
    )
    .option('--step', 'also run token by token from the zero state (the official step API) and write logits_step')
    .option('--grads <file>', 'also write d loss / d parameter under the official names (needs targets)')
    .option('--model <name>', 'the model to run when the file declares several')
    .action((model: string, opts: EvalOptions) => evaluate(model, opts));
}
