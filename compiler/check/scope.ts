import type { LetDecl } from '../../grammar/ast.js';
import type { Value } from './values.js';

export interface Binding {
  decl: LetDecl;
  /** Undefined when the `let`'s own expression had an error (already reported): uses stay quiet. */
  value: Value | undefined;
  used: boolean;
}

/**
 * Names visible at a point: a chain of scopes (model body → file → imported files). `let`s are
 * sequential; names declared later in the same scope are remembered so that a use before the
 * definition gets a precise hint rather than a bare "undefined".
 */
export class Scope {
  private readonly bindings = new Map<string, Binding>();
  private readonly later = new Map<string, LetDecl>();

  constructor(readonly parent?: Scope) {}

  define(decl: LetDecl, value: Value | undefined): Binding {
    const binding = { decl, value, used: false };
    this.bindings.set(decl.name.text, binding);
    this.later.delete(decl.name.text);
    return binding;
  }

  /** Announces `let`s of this scope that are evaluated later (they are not visible yet). */
  expect(decls: readonly LetDecl[]): void {
    for (const d of decls) if (!this.later.has(d.name.text)) this.later.set(d.name.text, d);
  }

  own(name: string): Binding | undefined {
    return this.bindings.get(name);
  }

  lookup(name: string): Binding | undefined {
    return this.bindings.get(name) ?? this.parent?.lookup(name);
  }

  /** A `let` of this name that exists in a visible scope but is declared after the current point. */
  declaredLater(name: string): LetDecl | undefined {
    return this.later.get(name) ?? this.parent?.declaredLater(name);
  }

  /** Every visible name, innermost first (for "did you mean"). */
  names(): string[] {
    return [...new Set([...this.bindings.keys(), ...(this.parent?.names() ?? [])])];
  }

  ownBindings(): IterableIterator<Binding> {
    return this.bindings.values();
  }
}
