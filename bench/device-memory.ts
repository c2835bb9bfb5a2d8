import { BYTES_PER_ELEMENT } from '../compiler/kernels/kernel.js';
import { numElements, parameterSpecs } from '../compiler/params.js';
import type { ForwardPlan } from '../compiler/plan/plan-types.js';
import { stateTensors } from '../compiler/plan/state-layout.js';
import type { ModelSpec } from '../compiler/spec.js';

/**
 * Device bytes one run of `plan` needs at its peak: the parameters (a tied head once), the plan's
 * own buffers (inputs, activations and scratch already packed by lifetime, outputs) and, for runs
 * that carry a state, the state of `plan.batch` sequences (conv windows twice: they ping-pong).
 * Uniform and readback staging buffers (a few KiB) are left out.
 */
export function runDeviceBytes(spec: ModelSpec, plan: ForwardPlan): number {
  const params = parameterSpecs(spec)
    .filter((p) => p.tiedTo === undefined)
    .reduce((sum, p) => sum + numElements(p.shape) * BYTES_PER_ELEMENT.f32, 0);
  const own = plan.buffers
    .filter((b) => b.kind !== 'param' && b.kind !== 'state')
    .reduce((sum, b) => sum + b.elements * BYTES_PER_ELEMENT[b.type], 0);
  const state = plan.stateOut
    ? stateTensors(spec, plan.batch).reduce((sum, s) => sum + s.elements * (s.pingPong ? 2 : 1) * BYTES_PER_ELEMENT.f32, 0)
    : 0;
  return params + own + state;
}
