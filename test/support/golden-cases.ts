/**
 * The `dcs clean` golden cases: which fixture files run, where their expected outputs live, and
 * how one run is turned into comparable files. Shared by test/e2e/cli-clean.test.ts and
 * scripts/update-golden.ts (which rewrites the expected files from the built CLI).
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readExportTable } from './pipeline-files.js';

export const ROOT = resolve(import.meta.dirname, '../..');
/** The built CLI; DCS_CLI points elsewhere (e.g. a private build in .tmp/<name>-dist/src/cli/main.js). */
export const CLI = process.env.DCS_CLI ? resolve(ROOT, process.env.DCS_CLI) : resolve(ROOT, 'dist/src/cli/main.js');
export const EXPECTED_DIR = join(ROOT, 'test/fixtures/expected');
const PARSING_FIXTURES = join(ROOT, 'test/fixtures/parsing');

export interface GoldenCase {
  name: string;
  input: string;
  /** Also run with --format xlsx (each CLI run costs about a second of CPU, so not every case does). */
  xlsx?: boolean;
}

export const GOLDEN_CASES: readonly GoldenCase[] = [
  ...['utf8', 'utf8-bom', 'gbk', 'utf16le-bom', 'utf16be-bom', 'semicolon', 'tab', 'pipe', 'quoted-multiline'].map((name) => ({
    name: `csv-${name}`,
    input: join(PARSING_FIXTURES, 'csv', `${name}.csv`),
    xlsx: name === 'quoted-multiline',
  })),
  { name: 'xlsx-workbook', input: join(PARSING_FIXTURES, 'xlsx', 'workbook.xlsx'), xlsx: true },
  { name: 'xlsx-inline-strings', input: join(PARSING_FIXTURES, 'xlsx', 'inline-strings.xlsx') },
  { name: 'xls-workbook', input: join(PARSING_FIXTURES, 'xls', 'workbook.xls'), xlsx: true },
  // Every cleaning rule in one table; the input lives beside its expected outputs.
  { name: 'cleaning-rules', input: join(EXPECTED_DIR, 'cleaning-rules', 'input.csv'), xlsx: true },
];

export type OutputFormat = 'csv' | 'xlsx';

export function formatsOf(golden: GoldenCase): OutputFormat[] {
  return golden.xlsx ? ['csv', 'xlsx'] : ['csv'];
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** The statistics printed by `dcs clean`, without what changes from run to run (time, output paths). */
export function stableStatistics(stdout: string): Record<string, unknown> {
  const { processingTimeMs: _time, outputs: _outputs, ...rest } = JSON.parse(stdout) as Record<string, unknown>;
  return rest;
}

/**
 * The expected-file contents of one run in `outDir`: CSV outputs byte for byte (BOM, quoting and
 * formula neutralization included), xlsx outputs as the cell values read back (JSON rows).
 */
export async function goldenFilesOf(outDir: string, format: OutputFormat): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const names = (await readdir(outDir)).sort();
  if (names.join(',') !== `clean_data.${format},exception_data.${format}`) {
    throw new Error(`unexpected files in the output directory: ${names.join(', ')}`);
  }
  for (const kind of ['clean_data', 'exception_data']) {
    const path = join(outDir, `${kind}.${format}`);
    if (format === 'csv') {
      files.set(`${kind}.csv`, await readFile(path, 'utf8'));
    } else {
      const table = await readExportTable(path);
      // One row per line, so a reviewer reads the table and a diff shows the row that changed.
      const rows = table.rows.map((row) => `  ${JSON.stringify(row)}`).join(',\n');
      files.set(`${kind}.xlsx.json`, `{\n "sheets": ${JSON.stringify(table.sheetNames)},\n "rows": [\n${rows}\n ]\n}\n`);
    }
  }
  return files;
}

export function statisticsFile(stdout: string): string {
  return `${JSON.stringify(stableStatistics(stdout), null, 2)}\n`;
}
