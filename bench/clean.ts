/**
 * Cleaning pipeline benchmark (issue: cleaning engine).
 *   node dist/bench/clean.js [rows=1000000] [runs=3]
 * Generates the deterministic CSV once (bench/out/), then runs, each in a fresh process:
 * `dcs clean` to CSV (the full pipeline: parse → clean → export) and a parse-only pass over the
 * same file. Prints medians of wall time, rows/s and peak RSS, and the clean/parse ratio.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openTable } from '../src/parsing/index.js';
import { writeCsv } from './generate-data.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const cli = resolve(here, '../src/cli/main.js');

interface Run {
  ms: number;
  maxRssMb: number;
  rows: number;
}

/** Child mode: one measured pass, result as JSON on stdout. */
async function child(mode: string, file: string, outDir: string): Promise<void> {
  const started = performance.now();
  let rows = 0;
  if (mode === 'parse') {
    const reader = await openTable(file);
    for await (const event of reader) if (event.kind === 'rows') rows += event.rows.length;
    await reader.close();
  } else {
    // The flag the `dcs` bin's shebang passes (a larger young generation: ~25 % less GC time).
    const out = execFileSync(
      process.execPath,
      ['--max-semi-space-size=64', cli, 'clean', file, '--out', outDir, '--format', mode === 'clean-xlsx' ? 'xlsx' : 'csv'],
      { maxBuffer: 1 << 26 },
    );
    rows = (JSON.parse(out.toString()) as { totalRows: number }).totalRows;
  }
  process.stdout.write(JSON.stringify({ ms: performance.now() - started, rows }));
}

function measure(mode: string, file: string, outDir: string): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, file, outDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let peakKb = 0;
    const poll = setInterval(() => {
      try {
        // 'parse' measures the child itself; 'clean' measures the dcs process the child started.
        const pids = mode === 'parse' ? [String(proc.pid)] : childPids(proc.pid!);
        for (const pid of pids) {
          const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
          if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
        }
      } catch {
        // process finished between calls
      }
    }, 100);
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('exit', (code) => {
      clearInterval(poll);
      if (code !== 0) return reject(new Error(`${mode} run exited with ${code}`));
      const r = JSON.parse(out) as { ms: number; rows: number };
      resolvePromise({ ms: r.ms, rows: r.rows, maxRssMb: peakKb / 1024 });
    });
  });
}

function childPids(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3], process.argv[4], process.argv[5]);
  const rows = Number(process.argv[2] ?? 1_000_000);
  const runs = Number(process.argv[3] ?? 3);
  const dir = resolve(here, '../../bench/out');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${rows}.csv`);
  if (!existsSync(file)) {
    process.stdout.write(`generating ${rows} rows → ${file}\n`);
    await writeCsv(file, rows);
  }
  const outDir = join(dir, 'clean-out');
  process.stdout.write(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}\n`);
  const results: Record<string, Run[]> = { parse: [], clean: [] };
  for (let i = 0; i < runs; i++) {
    for (const mode of ['parse', 'clean'] as const) {
      rmSync(outDir, { recursive: true, force: true });
      const r = await measure(mode, file, outDir);
      results[mode].push(r);
      process.stdout.write(
        `  run ${i + 1} ${mode.padEnd(5)} ${(r.ms / 1000).toFixed(2)} s  ${Math.round(r.rows / (r.ms / 1000)).toLocaleString()} rows/s  peak RSS ${r.maxRssMb.toFixed(0)} MB\n`,
      );
    }
  }
  const summary = (mode: string) => {
    const ms = median(results[mode].map((r) => r.ms));
    return { ms, rowsPerSec: Math.round(rows / (ms / 1000)), rss: median(results[mode].map((r) => r.maxRssMb)) };
  };
  const p = summary('parse'),
    c = summary('clean');
  process.stdout.write(`\nmedian of ${runs} runs, ${rows.toLocaleString()} rows:\n`);
  process.stdout.write(`  parse only      ${(p.ms / 1000).toFixed(2)} s  ${p.rowsPerSec.toLocaleString()} rows/s  peak RSS ${p.rss.toFixed(0)} MB\n`);
  process.stdout.write(`  dcs clean (csv) ${(c.ms / 1000).toFixed(2)} s  ${c.rowsPerSec.toLocaleString()} rows/s  peak RSS ${c.rss.toFixed(0)} MB\n`);
  process.stdout.write(`  clean / parse-only time ratio: ${(c.ms / p.ms).toFixed(2)}×\n`);
  rmSync(outDir, { recursive: true, force: true });
}

await main();
