import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../errors.js';
import { LocalFileStore } from './file-store/local.js';
import type { S3StoreOptions } from './file-store/s3.js';
import type { FileStore } from './file-store/types.js';

export { LocalFileStore } from './file-store/local.js';
export type { S3FileStore, S3StoreOptions } from './file-store/s3.js';

export type { FileStore, LocalFile, SavedFile } from './file-store/types.js';

/** Which store FILE_STORE_URL names. */
export type FileStoreTarget = { kind: 'file'; dir: string } | { kind: 's3'; bucket: string; prefix: string };

/** Parses FILE_STORE_URL (`file:<dir>`, `file:///abs/dir` or `s3://<bucket>[/<prefix>]`); unset means `file:<dataDir>`. */
export function parseFileStoreUrl(url: string | undefined, dataDir: string): FileStoreTarget {
  if (!url) return { kind: 'file', dir: resolve(dataDir) };
  if (url.startsWith('file://')) return { kind: 'file', dir: fileURLToPath(url) };
  if (url.startsWith('file:')) return { kind: 'file', dir: resolve(url.slice('file:'.length) || dataDir) };
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (s3) {
    const prefix = (s3[2] ?? '').replace(/^\/+|\/+$/g, '');
    return { kind: 's3', bucket: s3[1], prefix: prefix ? `${prefix}/` : '' };
  }
  throw new AppError('INVALID_REQUEST', `FILE_STORE_URL must be file:<dir> or s3://<bucket>/<prefix> (got ${JSON.stringify(url)})`);
}

/**
 * The store FILE_STORE_URL names. An S3 store downloads into `<dataDir>/tmp` and reads its
 * credentials, region and endpoint the AWS way (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_REGION, AWS_ENDPOINT_URL_S3, instance roles…). The AWS SDK is loaded only then.
 */
export async function createFileStore(
  settings: { FILE_STORE_URL?: string; DATA_DIR: string; S3_FORCE_PATH_STYLE?: boolean },
  s3?: Partial<S3StoreOptions>,
): Promise<FileStore> {
  const target = parseFileStoreUrl(settings.FILE_STORE_URL, settings.DATA_DIR);
  if (target.kind === 'file') return new LocalFileStore(target.dir);
  const { S3FileStore } = await import('./file-store/s3.js');
  return new S3FileStore({
    bucket: target.bucket,
    prefix: target.prefix,
    tempDir: resolve(settings.DATA_DIR, 'tmp'),
    forcePathStyle: settings.S3_FORCE_PATH_STYLE ?? false,
    ...s3,
  });
}
