/**
 * The bundle's boundary with the server code: the web UI shares the server's leaf module
 * `src/domain` (types and constant lists) and nothing else, through one door (`types.ts`), so a
 * server module can never slip into the browser build.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const WEB_SRC = dirname(fileURLToPath(import.meta.url));
const DOMAIN = resolve(WEB_SRC, '../../src/domain');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : /\.tsx?$/.test(entry.name) ? [join(dir, entry.name)] : [],
  );
}

/** Module specifiers of every import, re-export, side-effect import and dynamic import. */
function specifiers(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/\b(?:from|import)\s*\(?\s*'([^']+)'/g)].map((match) => match[1]);
}

const relativeImports = (file: string) => specifiers(file).filter((specifier) => specifier.startsWith('.'));

describe('web bundle boundary', () => {
  it('only types.ts reaches outside web/src, and only into src/domain', () => {
    const outside = sourceFiles(WEB_SRC).flatMap((file) =>
      relativeImports(file)
        .filter((specifier) => relative(WEB_SRC, resolve(dirname(file), specifier)).startsWith('..'))
        .map((specifier) => `${relative(WEB_SRC, file)} → ${specifier}`),
    );
    expect(outside).toEqual(['types.ts → ../../src/domain/index.js']);
  });

  it('src/domain is a leaf: its files import only each other', () => {
    const files = sourceFiles(DOMAIN);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      for (const specifier of relativeImports(file)) expect(`${file} → ${specifier}`).toMatch(/ → \.\/[\w-]+\.js$/);
    }
    const packages = files.flatMap((file) =>
      specifiers(file)
        .filter((specifier) => !specifier.startsWith('.'))
        .map((specifier) => `${file} → ${specifier}`),
    );
    expect(packages).toEqual([]);
  });
});
