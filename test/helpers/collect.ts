/** Every value of an async iterable (e.g. the tokens `generate` yields), in order. */
export async function collect<T>(values: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of values) out.push(v);
  return out;
}
