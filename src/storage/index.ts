/**
 * Persistence layer: the only module that speaks SQL (file records, clean rows, error logs on
 * SQLite, PostgreSQL or MySQL/MariaDB), plus the file store for uploads and exports.
 */
export { createDatabase, Database, type DatabaseOptions } from './database.js';
export { dialectOfUrl, parseDatabaseUrl, SQLITE_BUSY_TIMEOUT_MS, type DatabaseTarget } from './connection.js';
export { isStaleAttemptError, StaleAttemptError } from './errors.js';
export { LocalFileStore, type ExportKind, type FileStore, type SavedFile } from './file-store.js';
export { RetentionJob, type RetentionJobOptions, type RetentionLogger, type RetentionReport } from './retention.js';
export { canTransition, assertTransition } from './status.js';
export { defaultReason } from './row-writers.js';
export * from './model.js';
