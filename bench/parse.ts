/**
 * Parse-only throughput: streams a table file through openTable and counts rows, without cleaning.
 * Usage (after `npm run build`): node dist/bench/parse.js <file> [<file>…] [--runs N] [--consumer-delay-ms MS]
 * Prints rows/s (median of N runs, each in a fresh child process so peak RSS is per run) and peak RSS.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { openTable } from '../src/parsing/index.js';

interface RunResult {
  rows: number;
  sheets: number;
  seconds: number;
  /** User + system CPU seconds of the run: less sensitive than wall time to a busy shared machine. */
  cpuSeconds: number;
  peakRssMb: number;
  format: string;
}

/**
 * consumerDelayMs > 0 makes the consumer slower than the parser (a timer per batch, as a cleaning
 * and saving worker would be): memory must stay flat because the reader only reads on demand.
 */
async function parseOnce(file: string, consumerDelayMs: number): Promise<RunResult> {
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20);
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const reader = await openTable(file);
  let rows = 0;
  let sheets = 0;
  try {
    for await (const event of reader) {
      if (event.kind === 'rows') rows += event.rows.length;
      else sheets++;
      if (consumerDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, consumerDelayMs));
    }
  } finally {
    await reader.close();
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { rows, sheets, seconds, cpuSeconds, peakRssMb: Math.round(peakRss / 1024 / 1024), format: reader.details.format };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function machine(): string {
  let kernel = '';
  try {
    kernel = execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim();
  } catch {
    kernel = process.platform;
  }
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 1024 ** 3)} GB RAM, ${kernel}, Node ${process.version}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    process.stdout.write(JSON.stringify(await parseOnce(args[1], Number(args[2] ?? 0))));
    return;
  }
  const option = (name: string, fallback: number): number => {
    const at = args.indexOf(name);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const runs = option('--runs', 3);
  const consumerDelayMs = option('--consumer-delay-ms', 0);
  const files = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  if (files.length === 0) {
    console.error('usage: node dist/bench/parse.js <file> [<file>…] [--runs N] [--consumer-delay-ms MS]');
    process.exitCode = 2;
    return;
  }
  console.log(
    `machine: ${machine()}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const self = fileURLToPath(import.meta.url);
  for (const file of files) {
    const results: RunResult[] = [];
    for (let i = 0; i < runs; i++) {
      const child = spawnSync(process.execPath, [self, '--child', file, String(consumerDelayMs)], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (child.status !== 0) throw new Error(`run failed: ${child.stderr}`);
      results.push(JSON.parse(child.stdout) as RunResult);
    }
    const rates = results.map((r) => r.rows / r.seconds);
    const sizeMb = statSync(file).size / 1024 / 1024;
    console.log(
      `${file} (${results[0].format}, ${sizeMb.toFixed(1)} MB, ${results[0].rows} rows, ${results[0].sheets} sheet(s)): ` +
        `median ${Math.round(median(rates))} rows/s over ${runs} runs [${rates.map((r) => Math.round(r)).join(', ')}], ` +
        `median ${median(results.map((r) => r.seconds)).toFixed(2)} s, ` +
        `median ${Math.round(median(results.map((r) => r.rows / r.cpuSeconds)))} rows per CPU-second, peak RSS ${Math.max(...results.map((r) => r.peakRssMb))} MB`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
