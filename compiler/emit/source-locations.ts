import type { Expr, ModelDecl, Section, Span, Statement } from '../../grammar/ast.js';
import { parseSource } from '../../grammar/parser.js';
import type { ModelSpec } from '../spec.js';

/** Where a part of a model is written in its .xlstm source: `file:line:col` and what is written there. */
export interface SourceLocation {
  where: string;
  what: string;
}

/**
 * The .xlstm location each block of a model comes from, for comments in generated code: the block's
 * own override (`block 3 { slstm { … } }`) if it has one, else the layer section (`slstm { … }`) of
 * the model or of the nearest base model that writes one, else the model declaration itself.
 * `sources` holds the text of every file the checker read (its `CheckResult.sources`), so sections
 * inherited from a model in an imported file are found too. Override arguments written as
 * expressions other than integer literals are not evaluated; those blocks get their section.
 */
export function blockLocations(spec: ModelSpec, sources: ReadonlyMap<string, string>): { model: SourceLocation; blocks: Map<number, SourceLocation> } {
  const decls = new Map<string, ModelDecl>();
  for (const [file, text] of sources) {
    for (const d of parseSource(text, file).ast.models) if (!decls.has(d.name.text) || d.span.file === spec.source?.file) decls.set(d.name.text, d);
  }
  const chain: ModelDecl[] = [];
  for (let d = decls.get(spec.name); d !== undefined && !chain.includes(d); d = d.extends ? decls.get(d.extends.text) : undefined) chain.push(d);

  const modelSpan = spec.source ?? chain[0]?.span;
  const model = { where: modelSpan ? at(modelSpan) : spec.name, what: `model ${spec.name}` };
  const blocks = new Map<number, SourceLocation>();
  for (const b of spec.blocks) {
    blocks.set(b.index, locate(chain, b.index, b.kind) ?? model);
  }
  return { model, blocks };
}

function locate(chain: readonly ModelDecl[], index: number, kind: 'mlstm' | 'slstm'): SourceLocation | undefined {
  for (const decl of chain) {
    for (const override of sections(decl.body, 'block')) {
      if (!override.arg || !indices(override.arg).includes(index)) continue;
      const layer = sections(override.body, kind)[0];
      if (layer) return { where: at(layer.span), what: `block ${index} { ${kind} { … } } in model ${decl.name.text}` };
    }
    const layer = sections(decl.body, kind)[0];
    if (layer) return { where: at(layer.span), what: `${kind} { … } of model ${decl.name.text}` };
  }
  return undefined;
}

function sections(body: readonly Statement[], key: string): Section[] {
  return body.filter((s): s is Section => s.kind === 'section' && s.key.text === key);
}

function indices(arg: Expr): number[] {
  if (arg.kind === 'int') return [arg.value];
  if (arg.kind === 'list') return arg.items.flatMap((i) => (i.kind === 'int' ? [i.value] : []));
  return [];
}

function at(span: Span): string {
  return `${span.file}:${span.line}:${span.col}`;
}
