import type { DType, IrOp, IrParameter, IrValue, OpAttrs, OpKind, Operand } from './types.js';

/** An op operand while lowering: a value id, or a parameter by its official name. */
export type Ref = number | string;

export interface ResultSpec {
  name: string;
  shape: readonly number[];
  dtype?: DType;
}

/** Where ops being emitted come from: their block and the prefix of their `source` text. */
export interface Scope {
  block: number | null;
  label: string;
}

/** Appends SSA values and ops; parameter references are checked against the module's parameter list. */
export class IrBuilder {
  readonly values: IrValue[] = [];
  readonly ops: IrOp[] = [];

  constructor(private readonly params: ReadonlyMap<string, IrParameter>) {}

  input(name: string, dtype: DType, shape: readonly number[]): number {
    return this.newValue({ name, dtype, shape }, 'input');
  }

  /** Emits one op and returns the ids of its results, in order. */
  emit<K extends OpKind>(scope: Scope, what: string, op: K, attrs: OpAttrs[K], inputs: readonly Ref[], results: readonly ResultSpec[]): number[] {
    const operands = inputs.map((r) => this.operand(r));
    const outputs = results.map((r) => this.newValue(r, 'activation'));
    const source = scope.label === '' ? what : `${scope.label} ${what}`;
    this.ops.push({ op, attrs, inputs: operands, outputs, block: scope.block, source } as IrOp);
    return outputs;
  }

  /** `emit` for the common single-result op. */
  emit1<K extends OpKind>(scope: Scope, what: string, op: K, attrs: OpAttrs[K], inputs: readonly Ref[], result: ResultSpec): number {
    return this.emit(scope, what, op, attrs, inputs, [result])[0] as number;
  }

  shapeOf(id: number): readonly number[] {
    const v = this.values[id];
    if (v === undefined) throw new Error(`IR builder: no value %${id}`);
    return v.type.shape;
  }

  private operand(r: Ref): Operand {
    if (typeof r === 'number') {
      if (this.values[r] === undefined) throw new Error(`IR builder: no value %${r}`);
      return { kind: 'value', id: r };
    }
    if (!this.params.has(r)) throw new Error(`IR builder: no parameter ${r}`);
    return { kind: 'param', name: r };
  }

  private newValue(r: ResultSpec, role: IrValue['role']): number {
    const id = this.values.length;
    this.values.push({ id, type: { dtype: r.dtype ?? 'f32', shape: [...r.shape] }, role, name: r.name });
    return id;
  }
}
