import { SHAPE_RULES, ShapeError, formatType } from './shape-rules.js';
import type { IrModule, IrOp, Operand, TensorType } from './types.js';

/**
 * Checks an IR module: SSA form (each activation defined once, before use), every parameter
 * reference known, every op's operand and result types as its shape rule says, the module's inputs,
 * outputs and taps. Returns one message per problem (empty when valid).
 */
export function verifyIr(m: IrModule): string[] {
  const problems: string[] = [];
  const paramTypes = new Map<string, TensorType>();
  for (const p of m.params) {
    if (paramTypes.has(p.name)) problems.push(`parameter ${p.name} is listed twice`);
    paramTypes.set(p.name, { dtype: 'f32', shape: p.shape });
  }
  for (const p of m.params) {
    if (p.tiedTo === undefined) continue;
    const target = paramTypes.get(p.tiedTo);
    if (target === undefined) problems.push(`parameter ${p.name} is tied to unknown ${p.tiedTo}`);
    else if (formatType(target) !== formatType({ dtype: 'f32', shape: p.shape })) problems.push(`parameter ${p.name} is tied to ${p.tiedTo} of another shape`);
  }

  m.values.forEach((v, i) => {
    if (v.id !== i) problems.push(`value at index ${i} has id %${v.id}`);
  });
  const defined = new Set<number>();
  for (const [name, id] of Object.entries(m.inputs)) {
    const v = m.values[id];
    const want: TensorType = { dtype: 'i32', shape: [m.batch, m.seqLen] };
    if (v === undefined || v.role !== 'input') problems.push(`input ${name} (%${id}) is not an input value`);
    else if (formatType(v.type) !== formatType(want)) problems.push(`input ${name} is ${formatType(v.type)}, expected ${formatType(want)}`);
    defined.add(id);
  }

  m.ops.forEach((op, index) => {
    const where = `op ${index} ${op.op} (${op.source})`;
    const inTypes: TensorType[] = [];
    for (const operand of op.inputs) {
      const t = operandType(m, operand, defined, paramTypes);
      if (typeof t === 'string') problems.push(`${where}: ${t}`);
      else inTypes.push(t);
    }
    for (const id of op.outputs) {
      const v = m.values[id];
      if (v === undefined) problems.push(`${where}: result %${id} does not exist`);
      else if (v.role !== 'activation') problems.push(`${where}: result %${id} is an input`);
      else if (defined.has(id)) problems.push(`${where}: %${id} is defined twice`);
      defined.add(id);
    }
    if (inTypes.length !== op.inputs.length) return;
    try {
      const want = applyRule(op, inTypes);
      if (want.length !== op.outputs.length) {
        problems.push(`${where}: has ${op.outputs.length} results, expected ${want.length}`);
        return;
      }
      want.forEach((t, i) => {
        const got = m.values[op.outputs[i] as number]?.type;
        if (got !== undefined && formatType(got) !== formatType(t)) {
          problems.push(`${where}: result %${op.outputs[i]} is ${formatType(got)}, expected ${formatType(t)}`);
        }
      });
    } catch (e) {
      if (!(e instanceof ShapeError)) throw e;
      problems.push(`${where}: ${e.message}`);
    }
  });

  m.values.forEach((v) => {
    if (v.role === 'activation' && !defined.has(v.id)) problems.push(`value %${v.id} (${v.name}) is never defined`);
  });
  const named: [string, number][] = [
    ['logits', m.outputs.logits],
    ['loss', m.outputs.loss],
    ...Object.entries(m.taps).map(([k, id]): [string, number] => [`tap ${k}`, id]),
  ];
  for (const [what, id] of named) {
    if (!defined.has(id)) problems.push(`${what} refers to undefined value %${id}`);
  }
  return problems;
}

function operandType(m: IrModule, operand: Operand, defined: ReadonlySet<number>, params: ReadonlyMap<string, TensorType>): TensorType | string {
  if (operand.kind === 'param') return params.get(operand.name) ?? `unknown parameter @${operand.name}`;
  const v = m.values[operand.id];
  if (v === undefined) return `operand %${operand.id} does not exist`;
  if (!defined.has(operand.id)) return `operand %${operand.id} is used before it is defined`;
  return v.type;
}

function applyRule(op: IrOp, ins: readonly TensorType[]): TensorType[] {
  const rule = SHAPE_RULES[op.op] as (attrs: IrOp['attrs'], ins: readonly TensorType[]) => TensorType[];
  return rule(op.attrs, ins);
}

/** Throws (a compiler bug, not a user error) when `verifyIr` finds problems. */
export function assertValidIr(m: IrModule): void {
  const problems = verifyIr(m);
  if (problems.length > 0) throw new Error(`invalid IR for ${m.model}:\n  ${problems.join('\n  ')}`);
}
