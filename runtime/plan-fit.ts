import { unmetLimitNeeds } from '../compiler/plan/plan-limits.js';
import { UserError } from './errors.js';

/**
 * A plan built for a device, or a UserError naming `what` and why it does not fit: the planner's own
 * refusal (a kernel that cannot be split under the device's limits), or the device limits its
 * buffers and launches exceed, with `hint` on what to shrink.
 */
export function planForDevice<P extends Parameters<typeof unmetLimitNeeds>[0]>(build: () => P, limits: Readonly<Record<string, number>>, what: string, hint: string): P {
  let plan: P;
  try {
    plan = build();
  } catch (e) {
    throw new UserError(`${what} cannot run on this device: ${e instanceof Error ? e.message : String(e)}`);
  }
  const unmet = unmetLimitNeeds(plan, limits);
  if (unmet.length > 0) {
    const list = unmet.map((n) => `${n.limit} ≥ ${n.need} (for ${n.why}; the device has ${limits[n.limit] ?? 'none'})`);
    throw new UserError(`${what} needs ${list.join(', ')}; ${hint}`);
  }
  return plan;
}
