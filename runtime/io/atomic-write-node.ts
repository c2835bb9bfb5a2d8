/**
 * Crash-safe file replacement: a reader (or a process killed at any moment) sees either the old file
 * or the complete new one, never a partial write.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.js';

/** A whole buffer, text (written as UTF-8), or chunks produced while writing (for large files). */
export type AtomicWriteData = Uint8Array | string | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

// Node's write() refuses lengths above 2 GiB; larger chunks are written in slices.
const MAX_WRITE_BYTES = 1 << 30;

/** Wraps what `data` itself throws, so it is not mistaken for a file-system failure. */
class DataError {
  constructor(readonly error: unknown) {}
}

async function* chunksOf(data: AtomicWriteData): AsyncIterable<Uint8Array> {
  try {
    if (typeof data === 'string') yield new TextEncoder().encode(data);
    else if (data instanceof Uint8Array) yield data;
    else yield* data;
  } catch (error) {
    throw new DataError(error);
  }
}

async function writeFully(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let written = 0;
  while (written < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, written, Math.min(chunk.length - written, MAX_WRITE_BYTES));
    written += bytesWritten;
  }
}

/** Makes the rename itself durable; some file systems refuse to sync directories, which is fine. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Best effort by design.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function writeError(path: string, error: unknown): unknown {
  if (error instanceof DataError) return error.error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return error;
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    ENOENT: `directory ${dirname(path)} does not exist`,
    ENOTDIR: `${dirname(path)} is not a directory`,
    EISDIR: 'is a directory',
  };
  return new UserError(`${path}: cannot write: ${reasons[code] ?? code}`);
}

/**
 * Replaces `path` with `data`: writes a temporary file in the same directory, fsyncs it, renames it
 * over the target and fsyncs the directory (best effort). On any failure, including `data`
 * throwing while it is being produced, the temporary file is removed and the target is untouched.
 * File-system failures become one-line UserErrors; errors thrown by `data` pass through unchanged.
 * A process killed mid-write can leave a stray `.<name>.<pid>.<random>.tmp` beside the target, but
 * never a partial target.
 */
export async function writeFileAtomic(path: string, data: AtomicWriteData): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx');
    for await (const chunk of chunksOf(data)) await writeFully(handle, chunk);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw writeError(path, error);
  }
  await syncDirectory(dir);
}
