/**
 * Service benchmarks (SPEC §5), each against the built product running as real processes:
 *
 *   node dist/bench/service.js throughput [rows=1000000] [runs=3] [db-url …]
 *       upload → completed, one worker, per database (default SQLite; pass postgres://… mysql://…),
 *       async and ?mode=sync on the same file: rows/s, worker/API peak RSS, async overhead
 *   node dist/bench/service.js workers [files=8] [rows=100000]
 *       8 files with 1 worker, then with 2 workers: the speed-up
 *   node dist/bench/service.js status [seconds=20] [rate=1000]
 *       check-status under a fixed request rate (autocannon): latency percentiles, errors
 *   node dist/bench/service.js upload [count=200] [rows=10000]
 *       upload request overhead beyond receiving the bytes (server-measured, Server-Timing)
 *   node dist/bench/service.js memory [rows=5000000 | file]   (a file: upload that CSV or xlsx instead)
 *       worker peak RSS on a large file (run with 1M and 5M rows: flat in file size?)
 *   node dist/bench/service.js busy-status [seconds=15] [rate=100] [rows=1000000]
 *       check-status latency while every worker (default WORKER_COUNT) is busy, with the default
 *       WORKER_NICE and with WORKER_NICE=0 for comparison (issue 9 item 4: p99 < 50 ms at 100 req/s)
 *   node dist/bench/service.js aggregate [files=8] [rows=100000]
 *       default settings (WORKER_COUNT workers): one file alone, then `files` files uploaded at
 *       once: aggregate rows/s against the single-file rows/s (issue 9 item 5)
 *
 * Every run prints the machine and its load; report medians, the machine is shared and noisy.
 */
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import autocannon from 'autocannon';
import { dataFile, fileSizeMb, machine, median, percentile, startRedis, startStack, uploadFile, waitCompleted } from './harness.js';

const out = (line = '') => process.stdout.write(`${line}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function throughput(rows: number, runs: number, urls: string[]): Promise<void> {
  const file = await dataFile(rows);
  out(`file: ${rows.toLocaleString()} rows, ${fileSizeMb(file).toFixed(0)} MB`);
  const redis = await startRedis();
  try {
    for (const url of urls.length > 0 ? urls : [undefined]) {
      const name = url ? url.split(':')[0] : 'sqlite';
      const asyncMs: number[] = [],
        syncMs: number[] = [],
        workerRss: number[] = [],
        apiRss: number[] = [];
      for (let i = 0; i < runs; i++) {
        // async: upload → completed with one worker
        let stack = await startStack({ databaseUrl: url, redisUrl: redis.url, workers: 1 });
        try {
          const t0 = performance.now();
          const up = await uploadFile(stack.baseUrl, file, 'async');
          await waitCompleted(stack.baseUrl, String(up.body.taskId));
          asyncMs.push(performance.now() - t0);
          stack.workers[0].sampleRss();
          workerRss.push(stack.workers[0].peakRssKb / 1024);
        } finally {
          await stack.stop();
        }
        // sync: the same file processed inside the request (no worker)
        stack = await startStack({ databaseUrl: url, redisUrl: redis.url, workers: 0 });
        try {
          const t0 = performance.now();
          const up = await uploadFile(stack.baseUrl, file, 'sync');
          if (up.status !== 200) throw new Error(`sync upload failed: ${JSON.stringify(up.body)}`);
          syncMs.push(performance.now() - t0);
          stack.api.sampleRss();
          apiRss.push(stack.api.peakRssKb / 1024);
        } finally {
          await stack.stop();
        }
        out(
          `  ${name} run ${i + 1}: async ${(asyncMs[i] / 1000).toFixed(2)} s (${fmt(rows / (asyncMs[i] / 1000))} rows/s, worker RSS ${workerRss[i].toFixed(0)} MB) · sync ${(syncMs[i] / 1000).toFixed(2)} s (${fmt(rows / (syncMs[i] / 1000))} rows/s, API RSS ${apiRss[i].toFixed(0)} MB)`,
        );
      }
      const a = median(asyncMs),
        s = median(syncMs);
      out(
        `${name}: median of ${runs}: async ${fmt(rows / (a / 1000))} rows/s, sync ${fmt(rows / (s / 1000))} rows/s, async overhead ${(((a - s) / s) * 100).toFixed(1)} %, worker peak RSS ${median(workerRss).toFixed(0)} MB, API peak RSS (sync) ${median(apiRss).toFixed(0)} MB`,
      );
    }
  } finally {
    await redis.stop();
  }
}

async function workers(files: number, rows: number): Promise<void> {
  const file = await dataFile(rows);
  const redis = await startRedis();
  const timeFor = async (count: number) => {
    const stack = await startStack({ redisUrl: redis.url, workers: count });
    try {
      const t0 = performance.now();
      const ids = [];
      for (let i = 0; i < files; i++) ids.push(String((await uploadFile(stack.baseUrl, file, 'async')).body.taskId));
      for (const id of ids) await waitCompleted(stack.baseUrl, id, 30 * 60_000, 100);
      return performance.now() - t0;
    } finally {
      await stack.stop();
    }
  };
  try {
    const one: number[] = [],
      two: number[] = [];
    for (let run = 0; run < 3; run++) {
      one.push(await timeFor(1));
      two.push(await timeFor(2));
      out(
        `  run ${run + 1}: 1 worker ${(one[run] / 1000).toFixed(2)} s, 2 workers ${(two[run] / 1000).toFixed(2)} s, speed-up ${(one[run] / two[run]).toFixed(2)}×`,
      );
    }
    out(
      `${files} files × ${rows.toLocaleString()} rows (SQLite): median 1 worker ${(median(one) / 1000).toFixed(2)} s, 2 workers ${(median(two) / 1000).toFixed(2)} s, speed-up ${(median(one) / median(two)).toFixed(2)}×`,
    );
  } finally {
    await redis.stop();
  }
}

async function status(seconds: number, rate: number): Promise<void> {
  const redis = await startRedis();
  const stack = await startStack({ redisUrl: redis.url, workers: 1 });
  try {
    const file = await dataFile(10_000);
    const done = String((await uploadFile(stack.baseUrl, file)).body.taskId);
    await waitCompleted(stack.baseUrl, done);
    // One task that stays processing during the load (a big file), so both paths are exercised.
    const busyFile = await dataFile(1_000_000);
    const busy = String((await uploadFile(stack.baseUrl, busyFile)).body.taskId);
    for (const [label, id] of [
      ['completed task', done],
      ['processing task', busy],
    ] as const) {
      const result = await autocannon({
        url: `${stack.baseUrl}/api/data-cleaning/check-status/${id}`,
        // 10 keep-alive connections of 100 req/s each: more connections only add client-side
        // queueing (autocannon shares the machine's 2 cores with the server).
        connections: 10,
        overallRate: rate,
        duration: seconds,
      });
      out(
        `check-status (${label}) at ${rate} req/s for ${seconds} s: ${fmt(result.requests.total)} requests, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms, errors ${result.errors}, non-2xx ${result.non2xx}, timeouts ${result.timeouts}`,
      );
    }
    // The server's own view (request received → response sent), from its latency histogram.
    const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    const buckets = [
      ...metrics.matchAll(
        /dcs_http_request_duration_seconds_bucket\{le="([^"]+)",method="GET",route="\/api\/data-cleaning\/check-status\/:taskId",status="200"\} (\d+)/g,
      ),
    ];
    const total = Number(buckets.find((b) => b[1] === '+Inf')?.[2] ?? 0);
    const within = (le: string) => Number(buckets.find((b) => b[1] === le)?.[2] ?? 0) / (total || 1);
    out(
      `server-side check-status latency over ${fmt(total)} requests: ${(within('0.001') * 100).toFixed(2)} % ≤ 1 ms, ${(within('0.005') * 100).toFixed(2)} % ≤ 5 ms, ${(within('0.01') * 100).toFixed(3)} % ≤ 10 ms`,
    );
  } finally {
    await stack.stop();
    await redis.stop();
  }
}

async function upload(count: number, rows: number): Promise<void> {
  const redis = await startRedis();
  const stack = await startStack({ redisUrl: redis.url, workers: 0 });
  try {
    const file = await dataFile(rows);
    const overhead: number[] = [];
    for (let i = 0; i < count; i++) {
      const res = await uploadFile(stack.baseUrl, file, 'async');
      const timing = res.headers.get('server-timing') ?? '';
      const m = /after-receive;dur=([\d.]+)/.exec(timing);
      if (!m) throw new Error(`no Server-Timing after-receive in the upload response: "${timing}"`);
      overhead.push(Number(m[1]));
    }
    out(
      `upload overhead beyond receiving the bytes (${count} uploads of ${fileSizeMb(file).toFixed(1)} MB, server-measured): p50 ${percentile(overhead, 50).toFixed(2)} ms, p99 ${percentile(overhead, 99).toFixed(2)} ms, max ${Math.max(...overhead).toFixed(2)} ms`,
    );
  } finally {
    await stack.stop();
    await redis.stop();
  }
}

/** `rowsOrFile`: a row count (the generated CSV of that many rows) or the path of a file to upload. */
async function memory(rowsOrFile: string): Promise<void> {
  const rows = Number(rowsOrFile);
  const file = Number.isInteger(rows) && rows > 0 ? await dataFile(rows) : rowsOrFile;
  const redis = await startRedis();
  const stack = await startStack({ redisUrl: redis.url, workers: 1 });
  try {
    const t0 = performance.now();
    const up = await uploadFile(stack.baseUrl, file);
    const view = await waitCompleted(stack.baseUrl, String(up.body.taskId), 60 * 60_000, 500);
    const ms = performance.now() - t0;
    stack.workers[0].sampleRss();
    const done = Number(view.totalRows);
    out(
      `${basename(file)}: ${done.toLocaleString()} rows (${fileSizeMb(file).toFixed(0)} MB, SQLite): ${(ms / 1000).toFixed(1)} s, ${fmt(done / (ms / 1000))} rows/s, worker peak RSS ${(stack.workers[0].peakRssKb / 1024).toFixed(0)} MB, API peak RSS ${(stack.api.peakRssKb / 1024).toFixed(0)} MB`,
    );
  } finally {
    await stack.stop();
    await redis.stop();
  }
}

/** The number of workers `dcs start` runs by default (WORKER_COUNT = CPU cores). */
const DEFAULT_WORKERS = Math.max(1, availableParallelism());

async function busyStatus(seconds: number, rate: number, rows: number): Promise<void> {
  const file = await dataFile(rows);
  const redis = await startRedis();
  try {
    for (const nice of [undefined, '0']) {
      const stack = await startStack({ redisUrl: redis.url, workers: DEFAULT_WORKERS, env: nice === undefined ? {} : { WORKER_NICE: nice } });
      try {
        // More files than workers: every worker stays busy for the whole measurement.
        const ids: string[] = [];
        for (let i = 0; i < DEFAULT_WORKERS * 2; i++) ids.push(String((await uploadFile(stack.baseUrl, file)).body.taskId));
        const result = await autocannon({
          url: `${stack.baseUrl}/api/data-cleaning/check-status/${ids[0]}`,
          connections: 10,
          overallRate: rate,
          duration: seconds,
        });
        const views = await Promise.all(
          ids.map(async (id) => ((await (await fetch(`${stack.baseUrl}/api/data-cleaning/check-status/${id}`)).json()) as { status: string }).status),
        );
        out(
          `check-status at ${rate} req/s for ${seconds} s, ${DEFAULT_WORKERS} workers busy (WORKER_NICE=${nice ?? 'default'}): ${fmt(result.requests.total)} requests, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms, errors ${result.errors}, non-2xx ${result.non2xx}; task states at the end: ${views.join(', ')}`,
        );
      } finally {
        await stack.stop();
      }
    }
  } finally {
    await redis.stop();
  }
}

async function aggregate(files: number, rows: number): Promise<void> {
  const file = await dataFile(rows);
  const redis = await startRedis();
  const run = async (count: number) => {
    const stack = await startStack({ redisUrl: redis.url, workers: DEFAULT_WORKERS });
    try {
      const t0 = performance.now();
      const ids = await Promise.all(Array.from({ length: count }, async () => String((await uploadFile(stack.baseUrl, file)).body.taskId)));
      for (const id of ids) await waitCompleted(stack.baseUrl, id, 30 * 60_000, 100);
      const ms = performance.now() - t0;
      for (const w of stack.workers) w.sampleRss();
      return { rowsPerS: (count * rows) / (ms / 1000), ms, rssMb: Math.max(...stack.workers.map((w) => w.peakRssKb / 1024)) };
    } finally {
      await stack.stop();
    }
  };
  try {
    const single: number[] = [],
      many: number[] = [];
    for (let i = 0; i < 3; i++) {
      const one = await run(1);
      const all = await run(files);
      single.push(one.rowsPerS);
      many.push(all.rowsPerS);
      out(
        `  run ${i + 1}: 1 file ${fmt(one.rowsPerS)} rows/s (${(one.ms / 1000).toFixed(2)} s) · ${files} files at once ${fmt(all.rowsPerS)} rows/s aggregate (${(all.ms / 1000).toFixed(2)} s, worker peak RSS ${all.rssMb.toFixed(0)} MB) · ratio ${(all.rowsPerS / one.rowsPerS).toFixed(2)}`,
      );
    }
    out(
      `${files} files × ${rows.toLocaleString()} rows, ${DEFAULT_WORKERS} workers (default settings, SQLite): median single file ${fmt(median(single))} rows/s, ${files} at once ${fmt(median(many))} rows/s aggregate, ratio ${(median(many) / median(single)).toFixed(2)} (target ≥ 1)`,
    );
  } finally {
    await redis.stop();
  }
}

const [command = 'throughput', ...args] = process.argv.slice(2);
out(`machine: ${machine()}`);
switch (command) {
  case 'throughput':
    await throughput(Number(args[0] ?? 1_000_000), Number(args[1] ?? 3), args.slice(2));
    break;
  case 'workers':
    await workers(Number(args[0] ?? 8), Number(args[1] ?? 100_000));
    break;
  case 'status':
    await status(Number(args[0] ?? 20), Number(args[1] ?? 1000));
    break;
  case 'upload':
    await upload(Number(args[0] ?? 200), Number(args[1] ?? 10_000));
    break;
  case 'memory':
    await memory(args[0] ?? '5000000');
    break;
  case 'busy-status':
    await busyStatus(Number(args[0] ?? 15), Number(args[1] ?? 100), Number(args[2] ?? 1_000_000));
    break;
  case 'aggregate':
    await aggregate(Number(args[0] ?? 8), Number(args[1] ?? 100_000));
    break;
  default:
    out(`unknown benchmark ${command}`);
    process.exitCode = 2;
}
