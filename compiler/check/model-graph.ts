import type { ModelDecl } from '../../grammar/ast.js';
import { collectModelBody } from './collect.js';
import { mergeNodes, type ConfigNode } from './config-node.js';
import { ISSUES, type Report } from './issues.js';
import type { Program } from './program.js';
import { didYouMean } from './suggest.js';

export interface MergedModel {
  node: ConfigNode;
  /** The model and the bases it extends, nearest first. */
  chain: ModelDecl[];
  /** False when a base is unknown or in a cycle: the model is then not validated (it would only report what the base lacks). */
  complete: boolean;
}

/**
 * Resolves `extends`: each model body is evaluated once, in the scope of the file that declares
 * it; a model is its base's merged node with its own body written on top. The base is looked up
 * among the models visible in the declaring file (its own and directly imported ones).
 */
export class ModelGraph {
  private readonly bodies = new Map<ModelDecl, ConfigNode>();
  private readonly merged = new Map<ModelDecl, MergedModel>();

  constructor(
    private readonly program: Program,
    private readonly report: Report,
    private readonly rootFile: string,
  ) {}

  resolve(decl: ModelDecl, visiting: readonly ModelDecl[] = []): MergedModel {
    const done = this.merged.get(decl);
    if (done !== undefined) return done;
    const own = this.body(decl);
    let result: MergedModel = { node: own, chain: [decl], complete: decl.extends === undefined };
    const baseName = decl.extends;
    if (baseName !== undefined) {
      const file = this.program.fileOf(decl);
      const base = file.models.get(baseName.text);
      if (base === undefined) {
        const hint = didYouMean(baseName.text, [...file.models.keys()]) ?? 'a base model must be declared in this file or in a file it imports';
        this.report(ISSUES.unknownBase, `unknown model \`${baseName.text}\``, baseName.span, hint);
      } else if (base === decl || visiting.includes(base)) {
        const cycle = [...visiting.slice(visiting.indexOf(base)), decl, base].map((d) => d.name.text);
        this.report(ISSUES.extendsCycle, `extends cycle: ${cycle.join(' → ')}`, baseName.span, 'a model cannot be its own base');
      } else {
        const b = this.resolve(base, [...visiting, decl]);
        result = { node: mergeNodes(b.node, own), chain: [decl, ...b.chain], complete: b.complete };
      }
    }
    this.merged.set(decl, result);
    return result;
  }

  private body(decl: ModelDecl): ConfigNode {
    const done = this.bodies.get(decl);
    if (done !== undefined) return done;
    const file = this.program.fileOf(decl);
    const node = collectModelBody(decl, file.scope, { report: this.report, warnUnused: file.path === this.rootFile });
    this.bodies.set(decl, node);
    return node;
  }
}
