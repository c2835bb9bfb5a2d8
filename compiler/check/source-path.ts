/**
 * Import paths are resolved textually (posix separators, `.` and `..` folded) so the checker works
 * the same in Node and in a browser, where files come from a callback rather than the file system.
 */
export function resolveImportPath(fromFile: string, importPath: string): string {
  if (importPath.startsWith('/')) return normalisePath(importPath);
  const slash = fromFile.lastIndexOf('/');
  return normalisePath((slash >= 0 ? fromFile.slice(0, slash + 1) : '') + importPath);
}

export function normalisePath(path: string): string {
  const absolute = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (part !== '..' || !absolute) out.push(part);
  }
  const joined = out.join('/');
  return absolute ? `/${joined}` : joined || '.';
}
