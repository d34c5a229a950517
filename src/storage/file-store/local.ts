import { randomUUID } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { AppError } from '../../errors.js';
import type { FileStore, LocalFile, SavedFile } from './types.js';
import { spool, sweepTemporary, TEMP_PREFIX } from './spool.js';

const UPLOADS = 'uploads';
/** Keys the store makes: `uploads/<uuid>`; nothing else is accepted. */
export const KEY_PATTERN = /^uploads\/[A-Za-z0-9-]{1,64}$/;

/** Nothing to release: the stored file itself is read. */
const keep = () => Promise.resolve();

/** A {@link FileStore} on the local file system (or a shared volume mounted at the same root). */
export class LocalFileStore implements FileStore {
  readonly rootDir: string;

  constructor(rootDir: string) {
    this.rootDir = resolve(rootDir);
  }

  async save(source: Readable, options: { maxBytes: number }): Promise<SavedFile> {
    const id = randomUUID();
    const dir = join(this.rootDir, UPLOADS);
    // Same directory as the final file, so the rename is atomic and a reader never sees half a file.
    const tempPath = join(dir, `${TEMP_PREFIX}${id}`);
    const finalPath = join(dir, id);
    const size = await spool(source, dir, tempPath, options.maxBytes);
    try {
      await rename(tempPath, finalPath);
    } catch (err) {
      await rm(tempPath, { force: true });
      throw err;
    }
    return { key: `${UPLOADS}/${id}`, size, path: finalPath, release: keep };
  }

  /** The stored file's path. Throws AppError INVALID_REQUEST for a malformed key. */
  path(key: string): string {
    if (!KEY_PATTERN.test(key)) throw new AppError('INVALID_REQUEST', `无效的文件标识：${key}`, { key });
    const path = join(this.rootDir, ...key.split('/'));
    // The pattern already excludes '..'; this keeps the guarantee if the pattern ever changes.
    if (!path.startsWith(this.rootDir + sep)) throw new AppError('INVALID_REQUEST', `无效的文件标识：${key}`, { key });
    return path;
  }

  async localFile(key: string): Promise<LocalFile> {
    const path = this.path(key);
    if (!(await this.exists(key))) throw new AppError('FILE_NOT_FOUND', '上传的文件已不存在（可能已过保留期或被删除）', { storageKey: key });
    return { path, release: keep };
  }

  describe(key: string): string {
    return KEY_PATTERN.test(key) ? this.path(key) : `${this.rootDir}/${key}`;
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

  /**
   * Deletes temporary upload files older than `maxAgeMs` — left behind only when a process died in
   * the middle of `save` (a live `save` always cleans up after itself). Returns how many were removed.
   */
  sweepTemporaryFiles(maxAgeMs: number, now: Date = new Date()): Promise<number> {
    return sweepTemporary(join(this.rootDir, UPLOADS), maxAgeMs, now);
  }
}
