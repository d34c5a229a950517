import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { AppError } from '../../errors.js';
import { KEY_PATTERN } from './local.js';
import { removeWritten, spool, sweepTemporary, TEMP_PREFIX } from './spool.js';
import type { FileStore, LocalFile, SavedFile } from './types.js';

/**
 * Uploads in an S3-compatible object store (AWS S3, MinIO, Ceph, OSS…), so API and worker hosts
 * share nothing but the store, Redis and the database.
 *
 * - `save` spools the upload to a local temporary file (size limit enforced while streaming; the
 *   API checks the content from it), then sends it with a multipart upload (parts of PART_SIZE,
 *   QUEUE_SIZE in flight: memory stays bounded whatever the file size).
 * - `localFile` streams the object into a temporary file (the xlsx reader needs random access);
 *   the caller releases it when done. Temporary files live in `tempDir` (DATA_DIR/tmp) and a
 *   crashed process's leftovers are swept by the retention job.
 * - A missing object is FILE_NOT_FOUND; any other failure (unreachable, 5xx, refused credentials)
 *   is AppError FILE_STORE_UNAVAILABLE — retryable — naming the bucket and endpoint.
 * - Credentials, region and endpoint come the AWS way (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *   AWS_REGION, AWS_ENDPOINT_URL_S3, profiles, instance roles) unless given in the options.
 */
export interface S3StoreOptions {
  bucket: string;
  /** Key prefix, '' or ending in '/'. */
  prefix: string;
  /** Local directory for temporary files (spooled uploads, downloads). */
  tempDir: string;
  /** Path-style URLs (MinIO, s3rver and most self-hosted stores need them). */
  forcePathStyle: boolean;
  /** Overrides of the SDK client configuration (region, endpoint, credentials); tests use them. */
  client?: S3ClientConfig;
}

const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;

/** Status codes the SDK reports for "no such object". */
const isMissing = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
};

export class S3FileStore implements FileStore {
  readonly client: S3Client;
  readonly #options: S3StoreOptions;
  readonly #where: string;

  constructor(options: S3StoreOptions) {
    this.#options = options;
    const endpoint = options.client?.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
    this.client = new S3Client({
      region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle,
      maxAttempts: 3,
      // Fail within seconds when the store is unreachable, instead of the OS's minutes.
      requestHandler: { connectionTimeout: 5000, requestTimeout: 60_000 },
      ...options.client,
    });
    this.#where = `s3://${options.bucket}/${options.prefix}${typeof endpoint === 'string' ? ` at ${endpoint}` : ''}`;
  }

  async save(source: Readable, options: { maxBytes: number }): Promise<SavedFile> {
    const id = randomUUID();
    const key = `uploads/${id}`;
    const tempPath = join(this.#options.tempDir, `${TEMP_PREFIX}${id}`);
    const size = await spool(source, this.#options.tempDir, tempPath, options.maxBytes);
    const release = () => rm(tempPath, { force: true });
    try {
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.#options.bucket, Key: this.#objectKey(key), Body: createReadStream(tempPath), ContentLength: size },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
      });
      await upload.done();
    } catch (err) {
      await release();
      throw this.#unavailable(err, 'upload', key);
    }
    return { key, size, path: tempPath, release };
  }

  async localFile(key: string): Promise<LocalFile> {
    const objectKey = this.#objectKey(key);
    await mkdir(this.#options.tempDir, { recursive: true });
    const path = join(this.#options.tempDir, `${TEMP_PREFIX}${randomUUID()}`);
    const release = () => rm(path, { force: true });
    let out: WriteStream | undefined;
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.#options.bucket, Key: objectKey }));
      out = createWriteStream(path, { flags: 'wx' });
      await pipeline(object.Body as Readable, out);
    } catch (err) {
      if (out) await removeWritten(out, path);
      if (isMissing(err)) throw new AppError('FILE_NOT_FOUND', '上传的文件已不存在（可能已过保留期或被删除）', { storageKey: key });
      throw this.#unavailable(err, 'download', key);
    }
    return { path, release };
  }

  async remove(key: string): Promise<void> {
    try {
      // Deleting a missing object succeeds in S3: idempotent as required.
      await this.client.send(new DeleteObjectCommand({ Bucket: this.#options.bucket, Key: this.#objectKey(key) }));
    } catch (err) {
      throw this.#unavailable(err, 'delete', key);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.#options.bucket, Key: this.#objectKey(key) }));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw this.#unavailable(err, 'check', key);
    }
  }

  describe(key: string): string {
    return `s3://${this.#options.bucket}/${this.#options.prefix}${key}`;
  }

  /** Checks that the bucket answers (start-up diagnostics); throws FILE_STORE_UNAVAILABLE otherwise. */
  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.#options.bucket }));
    } catch (err) {
      throw this.#unavailable(err, 'reach the bucket of', undefined);
    }
  }

  sweepTemporaryFiles(maxAgeMs: number, now: Date = new Date()): Promise<number> {
    return sweepTemporary(this.#options.tempDir, maxAgeMs, now);
  }

  /** Stops the client's sockets (tests, shutdown). */
  close(): void {
    this.client.destroy();
  }

  #objectKey(key: string): string {
    if (!KEY_PATTERN.test(key)) throw new AppError('INVALID_REQUEST', `无效的文件标识：${key}`, { key });
    return `${this.#options.prefix}${key}`;
  }

  #unavailable(err: unknown, action: string, key: string | undefined): unknown {
    if (err instanceof AppError) return err;
    const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const reason = [e?.code ?? e?.name, e?.$metadata?.httpStatusCode, e?.message].filter((x) => x !== undefined && x !== '').join(' ');
    return new AppError(
      'FILE_STORE_UNAVAILABLE',
      `文件存储不可用（file store unavailable: cannot ${action} ${key ? this.describe(key) : this.#where}${key ? ` — ${this.#where}` : ''}）：${reason}`,
      { store: this.#where, action, ...(key ? { key } : {}), status: e?.$metadata?.httpStatusCode, cause: e?.code ?? e?.name },
      { cause: err },
    );
  }
}
