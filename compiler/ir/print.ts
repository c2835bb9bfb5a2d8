import { numElements, type InitSpec } from '../params.js';
import { formatType } from './shape-rules.js';
import type { IrModule, IrOp, Operand } from './types.js';

/** Six significant digits, without trailing zeros: readable and stable across runs. */
function num(x: number): string {
  return String(Number(x.toPrecision(6)));
}

function attrValue(v: unknown): string {
  if (typeof v === 'number') return num(v);
  if (Array.isArray(v)) return `[${v.map(attrValue).join(',')}]`;
  return String(v);
}

function formatAttrs(attrs: object): string {
  const entries = Object.entries(attrs);
  if (entries.length === 0) return '';
  return ` {${entries.map(([k, v]) => `${k}: ${attrValue(v)}`).join(', ')}}`;
}

function formatInit(init: InitSpec): string {
  switch (init.kind) {
    case 'constant':
      return `constant(${num(init.value)})`;
    case 'normal':
      return `normal(std ${num(init.std)})`;
    case 'uniform':
      return `uniform(±${num(init.bound)})`;
    case 'linspace':
      return `linspace(${num(init.start)}..${num(init.end)})`;
    case 'slstm_bias':
      return `slstm_bias(${init.scheme}, block ${init.blockIdx} of ${init.numBlocks})`;
  }
}

function operand(o: Operand): string {
  return o.kind === 'value' ? `%${o.id}` : `@${o.name}`;
}

function valueType(m: IrModule, id: number): string {
  const v = m.values[id];
  return v === undefined ? `<missing %${id}>` : formatType(v.type);
}

function formatOp(m: IrModule, op: IrOp): string {
  const results = op.outputs.map((id) => `%${id}`).join(', ');
  const types = op.outputs.map((id) => valueType(m, id)).join(', ');
  return `${results} = ${op.op}(${op.inputs.map(operand).join(', ')})${formatAttrs(op.attrs)} : ${types}  # ${op.source}`;
}

/** Op counts in order of first appearance. */
function opCounts(ops: readonly IrOp[]): string {
  const counts = new Map<string, number>();
  for (const op of ops) counts.set(op.op, (counts.get(op.op) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
}

/**
 * The IR as text, one op per line (`%12 = linear(%11, @…proj_up.weight) {…} : f32[2,16,128]  # block 0
 * mLSTM proj_up`), preceded by inputs and parameters (shape, init, decay, layout) and followed by the
 * outputs, the golden activation taps and a summary. Deterministic: the same module prints the same.
 */
export function printIr(m: IrModule): string {
  const lines: string[] = [];
  lines.push(`ir ${m.model}: batch ${m.batch}, seq ${m.seqLen}, mLSTM form ${m.mlstmForm}`);
  lines.push('inputs');
  for (const [name, id] of Object.entries(m.inputs)) {
    lines.push(`  %${id} ${name} : ${valueType(m, id)}`);
  }
  const own = m.params.filter((p) => p.tiedTo === undefined);
  const paramCount = own.reduce((n, p) => n + numElements(p.shape), 0);
  lines.push(`parameters (${m.params.length} state_dict tensors, ${paramCount} parameters)`);
  for (const p of m.params) {
    const how = p.tiedTo === undefined ? `init ${formatInit(p.init)}, ${p.decay ? 'decay' : 'no decay'}` : `tied to @${p.tiedTo}`;
    lines.push(`  @${p.name} : ${formatType({ dtype: 'f32', shape: p.shape })}  ${how}  # ${p.layout}`);
  }
  lines.push('ops');
  for (const op of m.ops) lines.push(`  ${formatOp(m, op)}`);
  lines.push('outputs');
  for (const [name, id] of Object.entries(m.outputs)) lines.push(`  ${name} %${id} : ${valueType(m, id)}`);
  lines.push('taps');
  for (const [name, id] of Object.entries(m.taps)) lines.push(`  ${name} %${id}`);
  const activationFloats = m.values.filter((v) => v.role === 'activation').reduce((n, v) => n + numElements(v.type.shape), 0);
  lines.push('summary');
  lines.push(`  ops: ${m.ops.length} (${opCounts(m.ops)})`);
  lines.push(`  parameters: ${paramCount} in ${own.length} tensors`);
  lines.push(`  activation floats: ${activationFloats} (all op results at batch ${m.batch}, seq ${m.seqLen})`);
  return `${lines.join('\n')}\n`;
}
