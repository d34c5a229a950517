import type { Readable } from 'node:stream';

/**
 * Where uploads live. Keys are opaque strings made by the store (`uploads/<uuid>`).
 *
 * Every worker must be able to read every upload (SPEC §8). Two stores, chosen by FILE_STORE_URL:
 * - `LocalFileStore` (`file:<dir>`, default DATA_DIR): one machine, or several when the
 *   directory is a shared volume mounted at the same path everywhere;
 * - `S3FileStore` (`s3://<bucket>/<prefix>`): hosts share nothing but the object store.
 *
 * Readers never compose paths: they ask for a {@link LocalFile} (for S3 a temporary download,
 * because the xlsx reader needs random access) and release it when done. Store failures that
 * another attempt may cure (network, 5xx) are AppError FILE_STORE_UNAVAILABLE, i.e. retryable.
 */
export interface FileStore {
  /**
   * Streams `source` into the store. Throws AppError FILE_SIZE_EXCEEDED (after destroying the
   * source) when it is longer than `maxBytes`. Nothing is left behind on any failure.
   */
  save(source: Readable, options: { maxBytes: number }): Promise<SavedFile>;
  /** A local copy of a stored file; throws AppError FILE_NOT_FOUND when it is gone, INVALID_REQUEST for a malformed key. */
  localFile(key: string): Promise<LocalFile>;
  /** Deletes the file; deleting a missing file is not an error. */
  remove(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Where a key lives, for logs and operator hints (a path or an s3:// URL; never credentials). */
  describe(key: string): string;
  /** Deletes temporary files older than `maxAgeMs` left by a process that died mid-way; returns how many. */
  sweepTemporaryFiles(maxAgeMs: number, now?: Date): Promise<number>;
  /** Checks that a remote store answers (start-up diagnostics); throws FILE_STORE_UNAVAILABLE otherwise. */
  check?(): Promise<void>;
  /** Releases connections (at shutdown). */
  close?(): void;
}

/** A readable local file; `release()` deletes it when it is a temporary copy (idempotent). */
export interface LocalFile {
  path: string;
  release(): Promise<void>;
}

/** A stored upload, with a local copy readable until `release()` (content checks, preview). */
export interface SavedFile extends LocalFile {
  /** Generated identifier (never derived from the client's file name); store it in the file record. */
  key: string;
  size: number;
}
