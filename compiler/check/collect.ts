import type { LetDecl, ModelDecl, Property, Section, Span, Statement } from '../../grammar/ast.js';
import { coerce, type Coerced } from './coerce.js';
import { emptyNode, type ConfigNode, type NullSection, type Setting } from './config-node.js';
import { evaluate } from './evaluate.js';
import { ISSUES, type Report } from './issues.js';
import { keyForOfficialName, SCHEMA, scopesWithKey, type KeySchema, type ScopeName } from './schema.js';
import { Scope } from './scope.js';
import { didYouMean, joinHints, listWords } from './suggest.js';
import { showValue, type CallArgValue, type Value } from './values.js';

export interface CollectOptions {
  report: Report;
  /** Warn about body `let`s that nothing uses (only for the file being checked). */
  warnUnused: boolean;
}

/** Evaluates a `let` into `scope`, reporting a second declaration of the same name in that scope. */
export function declareLet(decl: LetDecl, scope: Scope, report: Report): void {
  const earlier = scope.own(decl.name.text);
  if (earlier !== undefined) {
    report(ISSUES.duplicateLet, `\`${decl.name.text}\` is already declared in this scope`, decl.name.span, `first declared at line ${earlier.decl.span.line}`);
  }
  scope.define(decl, evaluate(decl.value, scope, report));
}

/** A body (model or section) evaluated against the keys of `scopeName`: everything written, checked for type. */
export function collectBody(
  body: readonly Statement[],
  scopeName: ScopeName,
  into: ConfigNode,
  parentScope: Scope,
  opts: CollectOptions,
  inBlock = false,
): void {
  const scope = new Scope(parentScope);
  scope.expect(body.filter((s): s is LetDecl => s.kind === 'let'));
  for (const stmt of body) {
    if (stmt.kind === 'let') declareLet(stmt, scope, opts.report);
    else if (stmt.kind === 'property') collectProperty(stmt, scopeName, into, scope, opts, inBlock);
    else collectSection(stmt, scopeName, into, scope, opts, inBlock);
  }
  if (opts.warnUnused) {
    for (const b of scope.ownBindings()) {
      if (!b.used) opts.report(ISSUES.unusedLet, `\`${b.decl.name.text}\` is never used`, b.decl.name.span);
    }
  }
}

function unknownKey(key: string, span: Span, scopeName: ScopeName, opts: CollectOptions, inBlock: boolean): void {
  const s = SCHEMA[scopeName];
  const known = [...Object.keys(s.keys), ...Object.keys(s.sections)];
  const official = keyForOfficialName(scopeName, key);
  const elsewhere = scopesWithKey(key).filter((x) => x !== scopeName);
  const suggestion = official !== undefined ? `the official \`${key}\` is written \`${official}\` here` : didYouMean(key, known);
  const hint = joinHints(
    suggestion,
    elsewhere.length > 0 ? `\`${key}\` is a key of ${listWords(elsewhere.map((x) => (x === 'model' ? 'the model body' : `${x} { }`)))}` : undefined,
    scopeName === 'block' ? blockOverrideHint(key, elsewhere) : undefined,
    suggestion === undefined && elsewhere.length === 0 && known.length > 0 ? `${where(scopeName, inBlock)} takes ${listWords(known)}` : undefined,
  );
  opts.report(ISSUES.unknownKey, `unknown key \`${key}\` in ${where(scopeName, inBlock)}`, span, hint);
}

/** `heads` directly in `block N { }`: show where it goes inside the override. */
function blockOverrideHint(key: string, scopes: readonly string[]): string | undefined {
  const path = scopes.includes('mlstm') ? 'mlstm' : scopes.includes('slstm') ? 'slstm' : scopes.includes('ffn') ? 'slstm { ffn' : undefined;
  if (path === undefined) return undefined;
  const close = path.includes('{') ? ' } }' : ' }';
  return `a block override holds layer sections: \`block N { ${path} { ${key} ..${close} }\``;
}

function where(scopeName: ScopeName, inBlock: boolean): string {
  if (scopeName === 'model') return 'a model body';
  return inBlock && scopeName !== 'block' ? `a block override's ${scopeName} { }` : `${scopeName} { }`;
}

function notPerBlock(key: string, span: Span, scopeName: ScopeName, opts: CollectOptions): void {
  opts.report(ISSUES.unknownKey, `\`${key}\` cannot be set per block`, span, `it applies to the whole model: set it in the model's ${scopeName} { }`);
}

function duplicate(what: string, span: Span, first: Span, opts: CollectOptions): void {
  opts.report(ISSUES.duplicateKey, `${what} is set twice`, span, `first set at line ${first.line}; remove one`);
}

function sectionKeySpan(s: ConfigNode | NullSection): Span {
  return s.kind === 'null' ? s.keySpan : s.nameSpan;
}

function collectProperty(p: Property, scopeName: ScopeName, node: ConfigNode, scope: Scope, opts: CollectOptions, inBlock: boolean): void {
  const key = p.key.text;
  const schema = SCHEMA[scopeName];
  const section = schema.sections[key];
  if (section !== undefined) {
    const first = node.sections.get(key);
    if (!section.nullable || p.value.kind !== 'null') {
      const hint = section.nullable ? `write \`${key} { ... }\`, or \`${key} null\` for none` : `write \`${key} { ... }\``;
      opts.report(ISSUES.sectionMismatch, `\`${key}\` is a section, not a value`, p.value.span, hint);
    } else if (first !== undefined) duplicate(`\`${key}\``, p.key.span, sectionKeySpan(first), opts);
    else node.sections.set(key, { kind: 'null', keySpan: p.key.span, span: p.span });
    return;
  }
  const keySchema = schema.keys[key];
  if (keySchema === undefined) return unknownKey(key, p.key.span, scopeName, opts, inBlock);
  if (inBlock && keySchema.perBlock === false) return notPerBlock(key, p.key.span, scopeName, opts);
  const value = evaluate(p.value, scope, opts.report);
  const coerced = setKey(node, key, p.key.span, value, p.value.span, opts);
  if (coerced?.callArgs !== undefined && value?.type === 'call') expandCall(node, keySchema, value.callee.text, coerced.callArgs, opts);
}

/** Records one key; returns its checked value (undefined if it had an error or was a duplicate). */
function setKey(node: ConfigNode, key: string, keySpan: Span, value: Value | undefined, valueSpan: Span, opts: CollectOptions): Coerced | undefined {
  const keys = SCHEMA[node.scope].keys;
  const keySchema = keys[key]!;
  const first = node.settings.get(key);
  if (first !== undefined) {
    duplicate(`\`${key}\``, keySpan, first.keySpan, opts);
    return undefined;
  }
  const rival = keySchema.group === undefined ? undefined : [...node.settings.values()].find((s) => keys[s.key]?.group === keySchema.group);
  if (rival !== undefined) {
    opts.report(ISSUES.placementConflict, `\`${key}\` and \`${rival.key}\` both say where the sLSTM blocks go`, keySpan, `keep one; \`${rival.key}\` is at line ${rival.keySpan.line}`);
  }
  const coerced = value === undefined ? undefined : coerce(value, key, keySchema, opts.report);
  const setting: Setting = { key, keySpan, span: valueSpan, value: coerced?.value };
  if (coerced?.itemSpans !== undefined) setting.itemSpans = coerced.itemSpans;
  node.settings.set(key, setting);
  return coerced;
}

/** `optimizer adamw(lr: 3e-3, betas: (0.9, 0.99))`: each argument sets the key it names. */
function expandCall(node: ConfigNode, keySchema: KeySchema, callee: string, args: readonly CallArgValue[], opts: CollectOptions): void {
  const params = keySchema.type.kind === 'enum' ? (keySchema.type.callParams ?? []) : [];
  args.forEach((arg, i) => {
    const param = arg.name?.text ?? params[i];
    const keySpan = arg.name?.span ?? arg.span;
    if (param !== undefined && params.includes(param)) {
      setKey(node, param, keySpan, arg.value, arg.value.span, opts);
      return;
    }
    const hint = joinHints(arg.name ? didYouMean(arg.name.text, params) : undefined, `${callee} takes ${listWords(params)}`);
    opts.report(ISSUES.badCall, arg.name ? `unknown argument \`${arg.name.text}\`` : `too many arguments (at most ${params.length})`, keySpan, hint);
  });
}

function collectSection(s: Section, scopeName: ScopeName, node: ConfigNode, scope: Scope, opts: CollectOptions, inBlock: boolean): void {
  const key = s.key.text;
  const schema = SCHEMA[scopeName];
  const section = schema.sections[key];
  if (section === undefined) {
    if (key in schema.keys) {
      opts.report(ISSUES.sectionMismatch, `\`${key}\` is a value, not a section`, s.key.span, `write \`${key} <value>\``);
      return;
    }
    return unknownKey(key, s.key.span, scopeName, opts, inBlock);
  }
  if (inBlock && section.perBlock === false) return notPerBlock(key, s.key.span, scopeName, opts);
  const child = emptyNode(section.scope, s.span, s.key.span);
  if (section.arg === 'block-index') {
    const indices = blockIndices(s, scope, opts);
    collectBody(s.body, section.scope, child, scope, opts, true);
    for (const { index, span } of indices) {
      const first = node.blocks.get(index);
      if (first !== undefined) duplicate(`\`block ${index}\``, span, first.indexSpan, opts);
      else node.blocks.set(index, { node: child, indexSpan: span });
    }
    return;
  }
  if (s.arg !== undefined) {
    opts.report(ISSUES.badSectionArg, `\`${key}\` takes no argument`, s.arg.span, `write \`${key} { ... }\``);
  }
  const first = node.sections.get(key);
  if (first !== undefined) {
    duplicate(`\`${key}\``, s.key.span, sectionKeySpan(first), opts);
    return;
  }
  collectBody(s.body, section.scope, child, scope, opts, inBlock);
  node.sections.set(key, child);
}

/** `block 3 { }` or `block [1, 3] { }`: the indices and where each is written. */
function blockIndices(s: Section, scope: Scope, opts: CollectOptions): { index: number; span: Span }[] {
  if (s.arg === undefined) {
    opts.report(ISSUES.badSectionArg, '`block` needs the index of the block it overrides', s.key.span, 'write `block 3 { ... }` (0-based) or `block [1, 3] { ... }`');
    return [];
  }
  const v = evaluate(s.arg, scope, opts.report);
  if (v === undefined) return [];
  const items = v.type === 'list' ? v.items : [v];
  const out: { index: number; span: Span }[] = [];
  for (const item of items) {
    if (item.type === 'int' && item.value >= 0) out.push({ index: item.value, span: item.span });
    else opts.report(ISSUES.badSectionArg, `a block index must be an int ≥ 0, got \`${showValue(item)}\``, item.span, 'blocks are numbered from 0');
  }
  return out;
}

export function collectModelBody(decl: ModelDecl, fileScope: Scope, opts: CollectOptions): ConfigNode {
  const node = emptyNode('model', decl.span, decl.name.span);
  if (decl.incomplete) node.incomplete = true;
  collectBody(decl.body, 'model', node, fileScope, opts);
  return node;
}
