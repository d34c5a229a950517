import { readFileSync } from 'node:fs';

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

/** Its home is the pipeline's options (one place turns configuration into pipeline options). */
export { parseLimitsOf } from '../pipeline/options.js';
