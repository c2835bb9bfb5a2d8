/** A shape as messages print it: `[2,16,32]`, `[]` for a scalar. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
