/**
 * safetensors files on disk (Node). Reading validates the header before touching the data and then
 * reads each tensor straight into its own typed array, so a file is read once and never held twice.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write-node.js';
import {
  allocateTensor,
  parseHeaderLength,
  parseSafetensorsHeader,
  safetensorsChunks,
  SafetensorsError,
  tensorDataBytes,
  type NamedTensors,
  type SafetensorsContents,
  type SafetensorsHeader,
  type Tensor,
} from './safetensors.js';

/** File-system failures as one-line SafetensorsErrors; anything else (our own errors, bugs) unchanged. */
function readError(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return error;
  if (code === 'ENOENT') return new SafetensorsError(`${path}: no such file`);
  if (code === 'EACCES' || code === 'EPERM') return new SafetensorsError(`${path}: permission denied`);
  return new SafetensorsError(`${path}: cannot read (${code})`);
}

/** Fills `target` from `position`; a file that ends early (e.g. shrank while read) is truncated. */
async function readExactly(handle: FileHandle, target: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await handle.read(target, done, Math.min(target.length - done, 1 << 30), position + done);
    if (bytesRead === 0) throw new SafetensorsError(`${path}: file is truncated (ended at byte ${position + done})`);
    done += bytesRead;
  }
}

async function withSafetensorsFile<T>(path: string, use: (handle: FileHandle, size: number) => Promise<T>): Promise<T> {
  let handle: FileHandle;
  try {
    // Checked before opening: opening a FIFO would block and a directory opens fine on Linux.
    const info = await stat(path);
    if (info.isDirectory()) throw new SafetensorsError(`${path}: is a directory, expected a safetensors file`);
    if (!info.isFile()) throw new SafetensorsError(`${path}: not a regular file`);
    handle = await open(path, 'r');
  } catch (e) {
    throw readError(path, e);
  }
  try {
    return await use(handle, (await handle.stat()).size);
  } catch (e) {
    throw readError(path, e);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function readHeader(handle: FileHandle, size: number, path: string): Promise<SafetensorsHeader> {
  const prefix = new Uint8Array(Math.min(8, size));
  await readExactly(handle, prefix, 0, path);
  const headerLength = parseHeaderLength(prefix, size, path);
  const headerBytes = new Uint8Array(headerLength);
  await readExactly(handle, headerBytes, 8, path);
  return parseSafetensorsHeader(headerBytes, size - 8 - headerLength, path);
}

/** Reads and validates only the header (names, dtypes, shapes, metadata); cheap for any file size. */
export async function readSafetensorsHeaderFile(path: string): Promise<SafetensorsHeader> {
  return withSafetensorsFile(path, (handle, size) => readHeader(handle, size, path));
}

/** Reads a whole file; errors (missing, directory, truncated, malformed) are one-line SafetensorsErrors naming `path`. */
export async function readSafetensorsFile(path: string): Promise<SafetensorsContents> {
  return withSafetensorsFile(path, async (handle, size) => {
    const header = await readHeader(handle, size, path);
    const tensors = new Map<string, Tensor>();
    for (const info of header.tensors) {
      const tensor = allocateTensor(info, path);
      await readExactly(handle, tensorDataBytes(tensor.data), header.dataStart + info.dataOffsets[0], path);
      tensors.set(info.name, tensor);
    }
    return { tensors, metadata: header.metadata };
  });
}

/** Writes tensors in the order given, atomically (see `writeFileAtomic`), streaming their bytes. */
export async function writeSafetensorsFile(
  path: string,
  tensors: NamedTensors,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, safetensorsChunks(tensors, metadata));
}
