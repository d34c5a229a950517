/**
 * Parse-only throughput: streams a table file through openTable and counts rows, without cleaning,
 * next to the limit measured in the same run: papaparse parsing the CSV alone, or inflating the
 * xlsx's sheets and shared strings with one linear scan of their bytes (what any reader must do).
 * Usage (after `npm run build`): node dist/bench/parse.js <file> [<file>…] [--runs N] [--consumer-delay-ms MS]
 * Prints rows/s (median of N runs, each in a fresh child process so peak RSS is per run), peak RSS
 * and the ratio to the limit.
 *
 * An xlsx to measure: node dist/bench/parse.js --make-xlsx <rows> <out.xlsx> (the rows of
 * bench/generate-data.ts, written with shared strings as Excel does, by exceljs's streaming writer).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createInflateRaw } from 'node:zlib';
import Papa from 'papaparse';
import yauzl from 'yauzl';
import { generateRows, HEADER } from './generate-data.js';
import { openTable, sniffFile } from '../src/parsing/index.js';

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

/**
 * The floor for a file: CSV → papaparse alone (no decoding to cells, no limits); xlsx → inflate
 * sharedStrings.xml and every worksheet and count the `<` bytes (memchr), rows = `<row` count.
 */
async function limitOnce(file: string): Promise<RunResult> {
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20);
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const format = (await sniffFile(file)).format;
  let rows = 0;
  if (format === 'csv') {
    await new Promise<void>((resolve, reject) => {
      Papa.parse<string[]>(createReadStream(file, { encoding: 'utf8' }), {
        chunk: (result) => {
          rows += result.data.length;
        },
        complete: () => resolve(),
        error: (err) => reject(err),
      });
    });
    rows -= 1; // the header
  } else {
    ({ rows } = await inflateAndScan(file));
  }
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  return { rows, sheets: 0, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: Math.round(peakRss / 1024 / 1024), format: `${format} limit` };
}

const ROW_OPEN = Buffer.from('<row');

/** Data rows (`<row` count minus the header) and tags (`<` bytes) of the sheets and shared strings. */
function inflateAndScan(file: string): Promise<{ rows: number; tags: number }> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      let rows = 0;
      let tags = 0;
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!/^xl\/(worksheets\/[^/]+\.xml|sharedStrings\.xml)$/.test(entry.fileName)) return zip.readEntry();
        const isSheet = entry.fileName.startsWith('xl/worksheets/');
        zip.openReadStream(entry, { decodeFileData: false }, (openErr, raw) => {
          if (openErr) return reject(openErr);
          const inflate = raw.pipe(createInflateRaw({ chunkSize: 256 * 1024 }));
          inflate.on('data', (chunk: Buffer) => {
            for (let i = chunk.indexOf(60); i !== -1; i = chunk.indexOf(60, i + 1)) tags++;
            if (isSheet) for (let i = chunk.indexOf(ROW_OPEN); i !== -1; i = chunk.indexOf(ROW_OPEN, i + 1)) rows++;
          });
          inflate.on('end', () => zip.readEntry());
          inflate.on('error', reject);
        });
      });
      zip.on('end', () => resolve({ rows: Math.max(0, rows - 1), tags }));
      zip.readEntry();
    });
  });
}

async function makeXlsx(rows: number, out: string): Promise<void> {
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: out, useSharedStrings: true, useStyles: false });
  const sheet = workbook.addWorksheet('Sheet1');
  sheet.addRow(HEADER).commit();
  for (const row of generateRows(rows)) sheet.addRow(row).commit();
  sheet.commit();
  await workbook.commit();
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
  if (args[0] === '--child-limit') {
    process.stdout.write(JSON.stringify(await limitOnce(args[1])));
    return;
  }
  if (args[0] === '--make-xlsx') {
    await makeXlsx(Number(args[1]), args[2]);
    console.log(`wrote ${args[2]}`);
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
    // Reader and limit alternate, so both see the same machine load.
    const results: RunResult[] = [];
    const limits: RunResult[] = [];
    for (let i = 0; i < runs; i++) {
      results.push(childRun(self, ['--child', file, String(consumerDelayMs)]));
      limits.push(childRun(self, ['--child-limit', file]));
    }
    const sizeMb = statSync(file).size / 1024 / 1024;
    const reader = summary(results);
    const limit = summary(limits);
    console.log(`${file} (${results[0].format}, ${sizeMb.toFixed(1)} MB, ${results[0].rows} rows, ${results[0].sheets} sheet(s)):`);
    console.log(`  reader: ${reader.text}`);
    console.log(`  limit (${limits[0].format === 'csv limit' ? 'papaparse parse-only' : 'inflate + linear scan'}): ${limit.text}`);
    console.log(
      `  reader / limit: ${(reader.rate / limit.rate).toFixed(2)} by wall clock, ${(reader.cpuRate / limit.cpuRate).toFixed(2)} by CPU time (limit ÷ reader: ${(limit.rate / reader.rate).toFixed(2)}×)`,
    );
  }
}

/** Children run with the young-generation size the workers and `dcs` run with (docs/PERFORMANCE.md). */
const NODE_FLAGS = ['--max-semi-space-size=64'];

function childRun(self: string, args: string[]): RunResult {
  const child = spawnSync(process.execPath, [...NODE_FLAGS, self, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) throw new Error(`run failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as RunResult;
}

function summary(results: RunResult[]): { rate: number; cpuRate: number; text: string } {
  const rates = results.map((r) => r.rows / r.seconds);
  const rate = median(rates);
  const cpuRate = median(results.map((r) => r.rows / r.cpuSeconds));
  return {
    rate,
    cpuRate,
    text:
      `median ${Math.round(rate)} rows/s over ${results.length} runs [${rates.map((r) => Math.round(r)).join(', ')}], ` +
      `median ${median(results.map((r) => r.seconds)).toFixed(2)} s, ${Math.round(cpuRate)} rows per CPU-second, peak RSS ${Math.max(...results.map((r) => r.peakRssMb))} MB`,
  };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
