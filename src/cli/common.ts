import { readFileSync } from 'node:fs';
import type { Config } from '../config/index.js';
import type { ParseLimits } from '../parsing/types.js';

/** The package version (package.json is 2–4 levels up: src/cli, dist/src/cli, .tmp/<build>/src/cli). */
export function packageVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json', '../../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'data-cleaning-service' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

export function parseLimitsOf(config: Config): Partial<ParseLimits> {
  return {
    maxRows: config.MAX_ROWS,
    maxColumns: config.MAX_COLUMNS,
    maxLineLength: config.MAX_LINE_LENGTH,
    maxUncompressedBytes: config.MAX_UNCOMPRESSED_BYTES,
    maxCompressionRatio: config.MAX_COMPRESSION_RATIO,
  };
}
