/**
 * The one place where configuration becomes pipeline options: the parse limits and the thread
 * settings every caller of processFile (worker, sync upload, `dcs clean`) applies.
 */
import type { Config } from '../config/index.js';
import type { ParseLimits } from '../parsing/types.js';
import type { ProcessOptions } from './types.js';

export function parseLimitsOf(config: Config): Partial<ParseLimits> {
  return {
    maxRows: config.MAX_ROWS,
    maxColumns: config.MAX_COLUMNS,
    maxLineLength: config.MAX_LINE_LENGTH,
    maxUncompressedBytes: config.MAX_UNCOMPRESSED_BYTES,
    maxCompressionRatio: config.MAX_COMPRESSION_RATIO,
    maxBatchBytes: config.MAX_BATCH_BYTES,
    maxSharedStrings: config.MAX_SHARED_STRINGS,
    maxSharedStringChars: config.MAX_SHARED_STRING_CHARS,
    maxSheets: config.MAX_SHEETS,
  };
}

/** Batch size, parse limits, detection and thread settings from the configuration. */
export function pipelineOptionsOf(
  config: Config,
): Pick<ProcessOptions, 'batchSize' | 'limits' | 'detectionMaxValueChars' | 'threads' | 'threadMinBytes' | 'threadMemoryMb'> {
  return {
    batchSize: config.BATCH_SIZE,
    limits: parseLimitsOf(config),
    detectionMaxValueChars: config.DETECTION_MAX_VALUE_CHARS,
    threads: config.PIPELINE_THREADS,
    threadMinBytes: config.PIPELINE_THREAD_MIN_BYTES,
    threadMemoryMb: config.PIPELINE_THREAD_MEMORY_MB,
  };
}
