import type { CstNode, IToken } from 'chevrotain';

/*
 * Typed access to Chevrotain CST children. After error recovery a child may be missing, or a token
 * may have been inserted by the parser and not exist in the source; both read as `undefined`.
 */

export function childNodes(n: CstNode, key: string): CstNode[] {
  return (n.children[key] ?? []) as CstNode[];
}

export function childNode(n: CstNode, key: string, at = 0): CstNode | undefined {
  return childNodes(n, key)[at];
}

export function childTokens(n: CstNode, key: string): IToken[] {
  return ((n.children[key] ?? []) as IToken[]).filter(isReal);
}

export function childToken(n: CstNode, key: string): IToken | undefined {
  const t = (n.children[key] ?? [])[0] as IToken | undefined;
  return t !== undefined && isReal(t) ? t : undefined;
}

function isReal(t: IToken): boolean {
  return t.isInsertedInRecovery !== true && Number.isFinite(t.startOffset);
}

export function tokenEnd(t: IToken): number {
  return t.startOffset + t.image.length;
}

/** Where the node starts in the source, or Infinity when recovery left it without a position. */
export function nodeStart(n: CstNode): number {
  const s = n.location?.startOffset;
  return s !== undefined && Number.isFinite(s) ? s : Infinity;
}

/** Index of the first item whose offset is at least `offset`, in items sorted by offset (length if none). */
export function firstAtOrAfter<T>(items: readonly T[], offsetOf: (item: T) => number, offset: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsetOf(items[mid]) >= offset) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function tokenAtOrAfter(tokens: readonly IToken[], offset: number): IToken | undefined {
  return tokens[firstAtOrAfter(tokens, (t) => t.startOffset, offset)];
}
