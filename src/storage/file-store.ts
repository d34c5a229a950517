import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../errors.js';
import type { ExportFormat } from '../domain/index.js';

/** A stored upload. */
export interface SavedFile {
  /** Generated identifier (never derived from the client's file name); store it in the file record. */
  key: string;
  size: number;
  /** Local path of the stored file (same as `path(key)`). */
  path: string;
}

/** Which download an export file belongs to. */
export type ExportKind = 'clean' | 'exceptions';

/**
 * Where uploads and generated exports live. Keys are opaque strings made by the store.
 *
 * Every worker must be able to read every file (SPEC §8, "Files must be reachable by every
 * worker"): {@link LocalFileStore} is correct on one machine, or on several when its root is a
 * shared volume (NFS, SMB, a Kubernetes ReadWriteMany volume) mounted at the same path on every
 * host. An object-store implementation (S3 and the like) would upload in `save` and, to honour
 * `path`, download the object to a local temporary file first (then `path` would have to become
 * async, and the caller would delete the temporary copy when done). Readers therefore only ever
 * read through `path`, never by composing paths themselves.
 */
export interface FileStore {
  /**
   * Streams `source` into the store. Throws AppError FILE_SIZE_EXCEEDED (after destroying the
   * source) when it is longer than `maxBytes`. Nothing is left behind on any failure.
   */
  save(source: Readable, options: { maxBytes: number }): Promise<SavedFile>;
  /** A local path from which the file can be read. Throws AppError INVALID_REQUEST for a malformed key. */
  path(key: string): string;
  /** Deletes the file; deleting a missing file is not an error. */
  remove(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Key of a job's cached export file (deterministic, so a second request finds the first one's file). */
  exportKey(jobId: string, kind: ExportKind, format: ExportFormat): string;
  /**
   * Produces a job's export file: `produce` writes it to the given temporary path, then the file is
   * moved to {@link exportKey} in one step (a concurrent download never sees half a file). On any
   * failure the temporary file is removed and the error rethrown.
   */
  writeExport(jobId: string, kind: ExportKind, format: ExportFormat, produce: (tempPath: string) => Promise<void>): Promise<SavedFile>;
  /** Deletes every export file of a job (idempotent). */
  removeExports(jobId: string): Promise<void>;
}

const UPLOADS = 'uploads';
const EXPORTS = 'exports';
const TEMP_PREFIX = '.tmp-';
/** Keys the store makes: `uploads/<uuid>` and `exports/<jobId>/<file>`; nothing else is accepted. */
const KEY_PATTERN = /^(uploads\/[A-Za-z0-9-]{1,64}|exports\/[A-Za-z0-9-]{1,64}\/(clean|exceptions)\.(xlsx|csv))$/;
const JOB_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;

/** Counts bytes and fails the pipeline as soon as the limit is passed. */
class SizeLimit extends Transform {
  bytes = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(new AppError('FILE_SIZE_EXCEEDED', `文件超过大小限制（${this.maxBytes} 字节）`, { maxBytes: this.maxBytes }));
      return;
    }
    callback(null, chunk);
  }
}

/** A {@link FileStore} on the local file system (or a shared volume mounted at the same root). */
export class LocalFileStore implements FileStore {
  readonly rootDir: string;

  constructor(rootDir: string) {
    this.rootDir = resolve(rootDir);
  }

  async save(source: Readable, options: { maxBytes: number }): Promise<SavedFile> {
    const id = randomUUID();
    const key = `${UPLOADS}/${id}`;
    const dir = join(this.rootDir, UPLOADS);
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
    // Same directory as the final file, so the rename is atomic and a reader never sees half a file.
    const tempPath = join(dir, `${TEMP_PREFIX}${id}`);
    const finalPath = join(dir, id);
    const limit = new SizeLimit(options.maxBytes);
    try {
      const done = pipeline(source, limit, createWriteStream(tempPath, { flags: 'wx' }));
      source.off('error', holdError);
      await done;
      await rename(tempPath, finalPath);
    } catch (err) {
      // pipeline() destroys every stream on failure, the source included.
      if (!source.destroyed) source.destroy();
      await rm(tempPath, { force: true });
      throw err;
    }
    return { key, size: limit.bytes, path: finalPath };
  }

  path(key: string): string {
    if (!KEY_PATTERN.test(key)) throw new AppError('INVALID_REQUEST', `无效的文件标识：${key}`, { key });
    const path = join(this.rootDir, ...key.split('/'));
    // The pattern already excludes '..'; this keeps the guarantee if the pattern ever changes.
    if (!path.startsWith(this.rootDir + sep)) throw new AppError('INVALID_REQUEST', `无效的文件标识：${key}`, { key });
    return path;
  }

  async remove(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.path(key))).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  exportKey(jobId: string, kind: ExportKind, format: ExportFormat): string {
    if (!JOB_ID_PATTERN.test(jobId)) throw new AppError('INVALID_REQUEST', `无效的任务标识：${jobId}`, { jobId });
    return `${EXPORTS}/${jobId}/${kind}.${format}`;
  }

  async writeExport(jobId: string, kind: ExportKind, format: ExportFormat, produce: (tempPath: string) => Promise<void>): Promise<SavedFile> {
    const key = this.exportKey(jobId, kind, format);
    const finalPath = this.path(key);
    const dir = join(this.rootDir, EXPORTS, jobId);
    await mkdir(dir, { recursive: true });
    const tempPath = join(dir, `${TEMP_PREFIX}${randomUUID()}.${format}`);
    try {
      await produce(tempPath);
      await rename(tempPath, finalPath);
    } catch (err) {
      await rm(tempPath, { force: true });
      throw err;
    }
    return { key, size: (await stat(finalPath)).size, path: finalPath };
  }

  async removeExports(jobId: string): Promise<void> {
    if (!JOB_ID_PATTERN.test(jobId)) throw new AppError('INVALID_REQUEST', `无效的任务标识：${jobId}`, { jobId });
    await rm(join(this.rootDir, EXPORTS, jobId), { recursive: true, force: true });
  }

  /**
   * Deletes temporary upload files older than `maxAgeMs` — left behind only when a process died in
   * the middle of `save` (a live `save` always cleans up after itself). Returns how many were removed.
   */
  async sweepTemporaryFiles(maxAgeMs: number, now: Date = new Date()): Promise<number> {
    const dir = join(this.rootDir, UPLOADS);
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
}
