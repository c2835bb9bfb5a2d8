import { lstat, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../../runtime/errors.js';
import { writeFileAtomic } from '../../runtime/io/atomic-write-node.js';
import type { EmittedFile } from './emit-model.js';

/** What a directory this command replaces may hold: only files it wrote itself. */
const OWN_DIRECTORY_FILE = /\.wgsl$/;

/**
 * Writes `files` under `outDir` all or nothing: each top-level entry (a file, or a directory of
 * .wgsl files) is built complete in a staging directory inside `outDir`, then renamed into place; a
 * directory left by an earlier compile is swapped out the same way and removed. Everything that
 * could refuse (a directory where a file goes, a directory holding files it did not write) is
 * checked before anything is moved, and a failure while moving puts back what was already moved.
 * Returns the paths written (the top-level entries).
 */
export async function writeFilesAtomically(outDir: string, files: readonly EmittedFile[]): Promise<string[]> {
  await makeOutputDirectory(outDir);
  const entries = [...new Set(files.map((f) => f.path.split('/')[0]!))];
  for (const entry of entries) await checkReplaceable(join(outDir, entry), files.some((f) => f.path.startsWith(`${entry}/`)));

  const staging = await mkdtemp(join(outDir, '.xlstm-compile-'));
  const moved: { target: string; previous?: string }[] = [];
  try {
    for (const f of files) {
      const path = join(staging, 'new', f.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFileAtomic(path, f.text);
    }
    await mkdir(join(staging, 'old'));
    for (const entry of entries) {
      const target = join(outDir, entry);
      const existing = await lstat(target).catch(() => undefined);
      const previous = existing?.isDirectory() ? join(staging, 'old', entry) : undefined;
      if (previous) await rename(target, previous);
      moved.push({ target, ...(previous ? { previous } : {}) });
      await rename(join(staging, 'new', entry), target);
    }
  } catch (e) {
    for (const m of moved.reverse()) {
      if (!m.previous) continue;
      await rm(m.target, { recursive: true, force: true }).catch(() => undefined);
      await rename(m.previous, m.target).catch(() => undefined);
    }
    throw e instanceof UserError ? e : new UserError(`${outDir}: cannot write the output (${(e as NodeJS.ErrnoException).code ?? String(e)}); nothing written`);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return entries.map((e) => join(outDir, e));
}

async function makeOutputDirectory(outDir: string): Promise<void> {
  try {
    await mkdir(outDir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : code === 'EACCES' ? 'permission denied' : (code ?? String(e));
    throw new UserError(`${outDir}: cannot create the output directory (${why})`);
  }
}

/** A file goes where nothing or a file is; a directory where nothing, or a directory of our own files, is. */
async function checkReplaceable(target: string, isDirectory: boolean): Promise<void> {
  const existing = await lstat(target).catch(() => undefined);
  if (existing === undefined) return;
  if (!isDirectory) {
    if (existing.isDirectory()) throw new UserError(`${target}: is a directory; remove it or choose another output directory`);
    return;
  }
  if (!existing.isDirectory()) throw new UserError(`${target}: a file is in the way of the kernel directory; remove it or choose another output directory`);
  const foreign = (await readdir(target, { withFileTypes: true })).filter((d) => !d.isFile() || !OWN_DIRECTORY_FILE.test(d.name));
  if (foreign.length > 0) {
    throw new UserError(`${target}: holds ${foreign[0]!.name}, which xlstm compile did not write; remove it or choose another output directory`);
  }
}
