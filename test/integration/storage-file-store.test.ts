import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import { LocalFileStore } from '../../src/storage/index.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isAppError(err) ? err.code : 'other';
  }
  return undefined;
}

/** A source that yields `chunks` buffers of `size` bytes, then optionally fails. */
function generated(chunks: number, size: number, failAfter?: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (failAfter !== undefined && sent === failAfter) {
        this.destroy(Object.assign(new Error('client went away'), { code: 'ECONNRESET' }));
        return;
      }
      if (sent === chunks) {
        this.push(null);
        return;
      }
      sent++;
      this.push(Buffer.alloc(size, sent % 256));
    },
  });
}

describe('LocalFileStore', () => {
  let root: string;
  let store: LocalFileStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dcs-files-'));
    store = new LocalFileStore(root);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const uploadsDir = () => readdir(join(root, 'uploads')).catch(() => [] as string[]);

  it('saves a stream under a generated key and reads it back by that key', async () => {
    const content = Buffer.from('姓名,手机\n张三,13812345678\n');
    const saved = await store.save(Readable.from([content]), { maxBytes: 1024 });
    expect(saved.key).toMatch(/^uploads\/[0-9a-f-]{36}$/);
    expect(saved.size).toBe(content.length);
    expect(saved.path).toBe(store.path(saved.key));
    expect(await readFile(store.path(saved.key))).toEqual(content);
    expect(await store.exists(saved.key)).toBe(true);
    expect(await uploadsDir()).toEqual([saved.key.split('/')[1]]);

    const second = await store.save(Readable.from([content]), { maxBytes: 1024 });
    expect(second.key).not.toBe(saved.key);
  });

  it('accepts exactly maxBytes and streams large files', async () => {
    const saved = await store.save(generated(64, 64 * 1024), { maxBytes: 64 * 64 * 1024 });
    expect(saved.size).toBe(4 * 1024 * 1024);
    expect((await stat(saved.path)).size).toBe(4 * 1024 * 1024);
  });

  it('rejects an oversized upload with FILE_SIZE_EXCEEDED, destroys the source and leaves no file', async () => {
    const source = generated(100, 1024);
    const err = await store.save(source, { maxBytes: 10 * 1024 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAppError(err) && err.code).toBe('FILE_SIZE_EXCEEDED');
    expect(source.destroyed).toBe(true);
    expect(await uploadsDir()).toEqual([]);
  });

  it('removes the temporary file when the source fails midway and rethrows its error', async () => {
    await expect(store.save(generated(10, 1024, 3), { maxBytes: 1024 * 1024 })).rejects.toMatchObject({ code: 'ECONNRESET' });
    const aborted = new PassThrough();
    const saving = store.save(aborted, { maxBytes: 1024 * 1024 });
    aborted.write(Buffer.alloc(1000));
    aborted.destroy(new Error('aborted upload'));
    await expect(saving).rejects.toThrow('aborted upload');
    expect(await uploadsDir()).toEqual([]);
  });

  it('removes idempotently and refuses keys it did not make', async () => {
    const saved = await store.save(Readable.from(['x']), { maxBytes: 10 });
    await store.remove(saved.key);
    await store.remove(saved.key);
    expect(await store.exists(saved.key)).toBe(false);
    for (const key of ['../etc/passwd', 'uploads/../../etc/passwd', '/etc/passwd', 'uploads/a/b', 'uploads/', 'exports/j/clean.exe', 'uploads/..', '']) {
      expect(
        codeOf(() => store.path(key)),
        key,
      ).toBe('INVALID_REQUEST');
    }
    await expect(store.remove('../outside')).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('hands out the stored file itself as its local copy, and FILE_NOT_FOUND once it is gone', async () => {
    const saved = await store.save(Readable.from(['a,b\n']), { maxBytes: 10 });
    const local = await store.localFile(saved.key);
    expect(local.path).toBe(store.path(saved.key));
    await local.release();
    await saved.release();
    // Releasing a local store's copy never deletes the stored file.
    expect(await readFile(store.path(saved.key), 'utf8')).toBe('a,b\n');
    expect(store.describe(saved.key)).toBe(store.path(saved.key));
    await store.remove(saved.key);
    await expect(store.localFile(saved.key)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await expect(store.localFile('../x')).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('sweeps temporary files left by a crashed process, and only old ones', async () => {
    const saved = await store.save(Readable.from(['keep']), { maxBytes: 10 });
    const stale = join(root, 'uploads', '.tmp-crashed');
    const fresh = join(root, 'uploads', '.tmp-in-progress');
    await writeFile(stale, 'x');
    await writeFile(fresh, 'y');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    await utimes(stale, twoDaysAgo, twoDaysAgo);
    expect(await store.sweepTemporaryFiles(24 * 60 * 60 * 1000)).toBe(1);
    expect((await uploadsDir()).sort()).toEqual(['.tmp-in-progress', saved.key.split('/')[1]].sort());
    expect(await new LocalFileStore(join(root, 'missing')).sweepTemporaryFiles(0)).toBe(0);
  });
});
