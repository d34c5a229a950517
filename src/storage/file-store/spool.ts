import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SizeLimit } from './size-limit.js';

/** Name prefix of every temporary file the stores write; the sweep removes only these. */
export const TEMP_PREFIX = '.tmp-';

/**
 * Streams `source` into `path` (created exclusively), failing with FILE_SIZE_EXCEEDED past
 * `maxBytes`. On any failure the source is destroyed, the partial file removed and the error
 * rethrown. Returns the byte count.
 */
export async function spool(source: Readable, dir: string, path: string, maxBytes: number): Promise<number> {
  // The source may fail while the directory is being made (client gone): hold its error until
  // pipeline() takes over (it reports an already-errored stream) instead of letting it go unhandled.
  const holdError = () => undefined;
  source.on('error', holdError);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    source.off('error', holdError);
    source.destroy();
    throw err;
  }
  const limit = new SizeLimit(maxBytes);
  const out = createWriteStream(path, { flags: 'wx' });
  try {
    const done = pipeline(source, limit, out);
    source.off('error', holdError);
    await done;
  } catch (err) {
    // pipeline() destroys every stream on failure, the source included.
    if (!source.destroyed) source.destroy();
    await removeWritten(out, path);
    throw err;
  }
  return limit.bytes;
}

/**
 * Removes a file a failed pipeline was writing. The pipeline may fail while the file is still
 * being opened: wait until the stream has closed, or the file would appear after its removal.
 */
export async function removeWritten(out: WriteStream, path: string): Promise<void> {
  if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
  await rm(path, { force: true });
}

/** Deletes `TEMP_PREFIX` files in `dir` older than `maxAgeMs`; a missing directory has none. */
export async function sweepTemporary(dir: string, maxAgeMs: number, now: Date): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const path = join(dir, name);
    try {
      const info = await stat(path);
      if (now.getTime() - info.mtimeMs > maxAgeMs) {
        await unlink(path);
        removed++;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return removed;
}
