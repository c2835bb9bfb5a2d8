import type { ImportDecl, ModelDecl, SourceFile, Span } from '../../grammar/ast.js';
import type { Diagnostic } from '../diagnostics.js';
import { declareLet } from './collect.js';
import { ISSUES, type Report } from './issues.js';
import { Scope } from './scope.js';
import { resolveImportPath } from './source-path.js';

export type ParseFn = (text: string, file: string) => { ast: SourceFile; diagnostics: Diagnostic[] };
/** Returns a file's text; throws (with a message worth showing) when it cannot. */
export type ReadFile = (path: string) => string;

export interface LoadedFile {
  path: string;
  ast: SourceFile;
  /** This file's top-level `let`s; its parent holds the names imported from other files. */
  scope: Scope;
  /** Models visible here: declared in this file or in a file it imports (imports are not transitive). */
  models: Map<string, ModelDecl>;
}

/**
 * The checked file and everything it imports: parses each file once, resolves `import`s relative
 * to the importing file (missing files and cycles are diagnostics at the import), and builds each
 * file's scope of constants and models.
 */
export class Program {
  readonly files = new Map<string, LoadedFile>();
  readonly sources = new Map<string, string>();
  private readonly fileOfModel = new Map<ModelDecl, LoadedFile>();
  private readonly importStack: string[] = [];

  constructor(
    private readonly parse: ParseFn,
    private readonly readFile: ReadFile | undefined,
    private readonly report: Report,
    private readonly addParseDiagnostic: (d: Diagnostic) => void,
  ) {}

  fileOf(decl: ModelDecl): LoadedFile {
    return this.fileOfModel.get(decl)!;
  }

  load(path: string, text: string): LoadedFile {
    this.sources.set(path, text);
    const { ast, diagnostics } = this.parse(text, path);
    diagnostics.forEach(this.addParseDiagnostic);
    this.importStack.push(path);
    const imported = new Scope();
    const models = new Map<string, ModelDecl>();
    const seen = new Set<string>();
    for (const imp of ast.imports) {
      const target = resolveImportPath(path, imp.path);
      if (this.importStack.includes(target)) {
        const cycle = [...this.importStack.slice(this.importStack.indexOf(target)), target].join(' → ');
        this.report(ISSUES.importCycle, `import cycle: ${cycle}`, imp.span, 'move what both files need into a third file that neither imports');
        continue;
      }
      if (seen.has(target)) {
        this.report(ISSUES.shadowedName, `"${imp.path}" is imported twice`, imp.span, 'remove the second import');
        continue;
      }
      seen.add(target);
      const file = this.files.get(target) ?? this.loadImport(target, imp);
      if (file === undefined) continue;
      for (const b of file.scope.ownBindings()) {
        const earlier = imported.own(b.decl.name.text);
        if (earlier === undefined) imported.define(b.decl, b.value);
        else this.report(ISSUES.shadowedName, `\`${b.decl.name.text}\` is defined by both ${earlier.decl.span.file} and ${target}`, imp.span, `the first one (${earlier.decl.span.file}) is used`);
      }
      for (const decl of file.ast.models) this.addModel(models, decl, imp.span);
    }
    this.importStack.pop();
    const scope = new Scope(imported);
    scope.expect(ast.lets);
    for (const decl of ast.lets) {
      const shadowed = imported.own(decl.name.text);
      if (shadowed !== undefined) {
        this.report(ISSUES.shadowedName, `\`${decl.name.text}\` shadows the constant imported from ${shadowed.decl.span.file}`, decl.name.span, 'rename one of them if both are meant');
      }
      declareLet(decl, scope, this.report);
    }
    const loaded: LoadedFile = { path, ast, scope, models };
    for (const decl of ast.models) {
      this.addModel(models, decl, decl.name.span);
      this.fileOfModel.set(decl, loaded);
    }
    this.files.set(path, loaded);
    return loaded;
  }

  private loadImport(target: string, imp: ImportDecl): LoadedFile | undefined {
    let text: string;
    try {
      if (this.readFile === undefined) throw new Error('no file reader was given to the checker');
      text = this.readFile(target);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      this.report(ISSUES.fileNotFound, `cannot import "${imp.path}": ${why}`, imp.span, `the path is relative to this file: it resolved to ${target}`);
      return undefined;
    }
    return this.load(target, text);
  }

  private addModel(models: Map<string, ModelDecl>, decl: ModelDecl, span: Span): void {
    const name = decl.name.text;
    const first = models.get(name);
    if (first === undefined) {
      models.set(name, decl);
      return;
    }
    if (first === decl) return;
    this.report(ISSUES.duplicateModel, `model \`${name}\` is declared twice`, span, `the other one is at ${first.name.span.file}:${first.name.span.line}; rename one`);
  }
}
