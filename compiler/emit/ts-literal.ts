const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * TypeScript source for a plain JSON-like value (numbers, strings, booleans, null, arrays, objects),
 * so that `<literal> as const` has the value's literal types. Object keys stay bare where they are
 * identifiers; properties whose value is undefined are left out, as JSON would. Unless `inline`,
 * objects and arrays of objects get a line per entry (the formatter indents them); arrays of
 * scalars always stay on one line.
 */
export function tsLiteral(value: unknown, inline = false): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`tsLiteral: ${value} has no literal`);
      return Object.is(value, -0) ? '-0' : String(value);
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return String(value);
    case 'object': {
      const lines = (items: string[], open: string, close: string): string =>
        inline ? `${open}${open === '{' ? ' ' : ''}${items.join(', ')}${open === '{' ? ' ' : ''}${close}` : `${open}\n${items.join(',\n')}\n${close}`;
      if (Array.isArray(value)) {
        const items = value.map((v) => tsLiteral(v, inline));
        return value.some((v) => typeof v === 'object' && v !== null) ? lines(items, '[', ']') : `[${items.join(', ')}]`;
      }
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      if (entries.length === 0) return '{}';
      return lines(
        entries.map(([k, v]) => `${IDENTIFIER.test(k) ? k : JSON.stringify(k)}: ${tsLiteral(v, inline)}`),
        '{',
        '}',
      );
    }
    default:
      throw new Error(`tsLiteral: cannot write a ${typeof value}`);
  }
}

/** A template literal holding `text` verbatim (WGSL sources keep their line breaks). */
export function templateLiteral(text: string): string {
  return '`' + text.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${') + '`';
}
