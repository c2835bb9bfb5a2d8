import { CONSERVATIVE_TARGET, type KernelTarget } from '../kernels/kernel.js';
import { planForward } from '../plan/forward-plan.js';
import { planLimitNeeds } from '../plan/plan-limits.js';
import type { ForwardPlan } from '../plan/plan-types.js';
import type { ModelSpec } from '../spec.js';
import { UserError } from '../../runtime/errors.js';
import type { SourceLocation } from './source-locations.js';

/** The shapes a compiled module declares: the batch and sequence length of its forward pass. */
export interface DeclaredShapes {
  batch: number;
  seqLen: number;
}

/** One kernel as the generated module and its .wgsl files carry it. */
export interface EmbeddedKernel {
  /** Unique within the module: `forward_03_block0_proj_up`. */
  id: string;
  /** `<kebab-model>/<id>.wgsl`'s base name. */
  fileName: string;
  plan: 'forward' | 'step';
  /** `forward pass, batch 8 × 128 tokens` */
  planLabel: string;
  /** Every plan step that runs this WGSL: the IR ops it computes and the .xlstm location they come from. */
  uses: { kernel: string; ops: string; location: SourceLocation; block: number | null }[];
  wgsl: string;
}

export interface ModulePlans {
  forward: ForwardPlan;
  step: ForwardPlan;
  /** The shapes planned: those requested, or smaller ones when the requested do not fit (see `notes`). */
  shapes: DeclaredShapes;
  /** The target the kernels were generated for, in words. */
  targetText: string;
  notes: string[];
}

/**
 * Where WebGPU's guaranteed 128 MiB per binding is too little for a model's own tensors (the 125M
 * model's embedding table alone spans 147 MiB), kernels are planned for this: what desktop GPUs
 * and Dawn's backends offer once the limit is raised.
 */
const WIDE_BINDING_TARGET: KernelTarget = { ...CONSERVATIVE_TARGET, maxStorageBufferBindingSize: 2 ** 30 };

/**
 * The module's two plans: the generation step (batch 1, one token, recurrent, the next token
 * sampled on the device) and the forward pass at the declared shapes (parallel form, final state
 * kept), for the conservative kernel target every WebGPU device meets, or, when even the step does
 * not fit it, for one with wider bindings (a note gives the binding size needed). Shapes the user
 * chose must fit; default shapes (the model's training batch and length) that do not, e.g. logits
 * of a large vocabulary over a long context, are halved (batch first, then length) until they do.
 */
export function modulePlans(spec: ModelSpec, requested: DeclaredShapes, chosenByUser: boolean): ModulePlans {
  let target = CONSERVATIVE_TARGET;
  let step: ForwardPlan;
  try {
    step = planForward(spec, { batch: 1, seqLen: 1, mode: 'recurrent', sample: true, target });
  } catch {
    target = WIDE_BINDING_TARGET;
    try {
      step = planForward(spec, { batch: 1, seqLen: 1, mode: 'recurrent', sample: true, target });
    } catch (e) {
      throw planError(spec, 'the generation step', e);
    }
  }
  const targetName = target === CONSERVATIVE_TARGET ? 'any WebGPU device' : `a device with ${mib(target.maxStorageBufferBindingSize)} storage bindings`;
  let shapes = requested;
  let forward: ForwardPlan | undefined;
  while (forward === undefined) {
    try {
      forward = planForward(spec, { batch: shapes.batch, seqLen: shapes.seqLen, mode: 'parallel', stateOut: true, target });
    } catch (e) {
      if (chosenByUser || (shapes.batch === 1 && shapes.seqLen === 1)) throw planError(spec, `the forward pass at batch ${shapes.batch} × ${shapes.seqLen} tokens`, e);
      shapes = shapes.batch > 1 ? { ...shapes, batch: Math.ceil(shapes.batch / 2) } : { ...shapes, seqLen: Math.ceil(shapes.seqLen / 2) };
    }
  }
  const notes: string[] = [];
  let targetText = 'any WebGPU device (the limits every device offers)';
  if (target !== CONSERVATIVE_TARGET) {
    const need = [...planLimitNeeds(step), ...planLimitNeeds(forward)]
      .filter((n) => n.limit === 'maxStorageBufferBindingSize')
      .reduce((a, b) => (b.need > a.need ? b : a));
    targetText = `a WebGPU device whose storage bindings may span ${mib(need.need)} (WebGPU guarantees 128 MiB)`;
    notes.push(`${spec.name}: its kernels need storage bindings of up to ${mib(need.need)} (${need.why}); WebGPU guarantees only 128 MiB`);
  }
  if (shapes !== requested) {
    notes.push(
      `${spec.name}: the forward pass at batch ${requested.batch} × ${requested.seqLen} tokens does not fit ${targetName}, ` +
        `so the module carries its kernels for batch ${shapes.batch} × ${shapes.seqLen} (choose with --batch and --seq)`,
    );
  }
  return { forward, step, shapes, targetText, notes };
}

function planError(spec: ModelSpec, what: string, e: unknown): UserError {
  return new UserError(`${spec.name}: cannot plan ${what}: ${e instanceof Error ? e.message : String(e)}`);
}

function mib(bytes: number): string {
  return `${Math.ceil(bytes / 2 ** 20)} MiB`;
}

/**
 * The distinct kernels of the module's plans in dispatch order; a WGSL text dispatched more than
 * once in a plan (equal shapes in several blocks) is carried once, listing every use.
 */
export function embeddedKernels(
  plans: ModulePlans,
  locations: { model: SourceLocation; blocks: ReadonlyMap<number, SourceLocation> },
): EmbeddedKernel[] {
  const out: EmbeddedKernel[] = [];
  for (const plan of ['forward', 'step'] as const) {
    const byKey = new Map<string, EmbeddedKernel>();
    for (const step of plans[plan].steps) {
      const block = blockOf(step.source);
      const use = { kernel: step.kernel.name, ops: step.source, location: (block === null ? undefined : locations.blocks.get(block)) ?? locations.model, block };
      const known = byKey.get(step.kernel.cacheKey);
      if (known) {
        known.uses.push(use);
        continue;
      }
      const id = `${plan}_${String(byKey.size).padStart(2, '0')}_${step.kernel.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
      const kernel: EmbeddedKernel = { id, fileName: `${id}.wgsl`, plan, planLabel: planLabel(plans[plan]), uses: [use], wgsl: step.kernel.wgsl };
      byKey.set(step.kernel.cacheKey, kernel);
      out.push(kernel);
    }
  }
  return out;
}

/** The block an op belongs to, from its IR source text (`block 3 sLSTM …`); null for model-level ops. */
function blockOf(ops: string): number | null {
  const m = /^block (\d+)\b/.exec(ops);
  return m ? Number(m[1]) : null;
}

/** What a plan computes, in words. */
export function planLabel(plan: ForwardPlan): string {
  const what = plan.mode === 'recurrent' ? 'generation step' : 'forward pass';
  return `${what}, batch ${plan.batch} × ${plan.seqLen} token${plan.seqLen === 1 ? '' : 's'}`;
}

/** A line per use of a kernel: the plan's kernel name, the IR ops, and the .xlstm location they come from. */
export function kernelUses(k: EmbeddedKernel): string[] {
  return k.uses.map((u) => `- ${u.kernel}: ${u.ops} (${u.location.where}, ${u.location.what})`);
}
