#!/usr/bin/env -S node --max-semi-space-size=64
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { packageVersion } from './common.js';

// Roles are imported when chosen: `dcs clean` need not load the queue, HTTP and database code.

const program = new Command()
  .name('dcs')
  .description('数据清洗服务 / data-cleaning service (configuration: environment variables, see docs/CONFIGURATION.md)')
  .version(packageVersion())
  // Commander exits with 1 on a usage error (unknown option, bad --format…); 1 means an internal
  // error here, so usage errors exit with 2 (help and --version still exit with 0).
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

program
  .command('start')
  .description('run everything on this machine: API + web UI + workers (+ a local redis-server when REDIS_URL is unset)')
  .action(async () => (await import('./start.js')).runStart(fileURLToPath(import.meta.url)));

program
  .command('api')
  .description('run the HTTP API and web UI')
  .action(async () => (await import('./api.js')).runApi());
program
  .command('worker')
  .description('run a worker process that consumes the task queue')
  .action(async () => (await import('./worker.js')).runWorker());

program
  .command('clean')
  .description('clean one local file synchronously; writes clean_data.* and exception_data.* and prints the statistics as JSON')
  .argument('<file>', 'an .xlsx, .xls or .csv file')
  .option('--out <dir>', 'output directory', '.')
  .addOption(new Option('--format <format>', 'output format').choices(['xlsx', 'csv']).default('xlsx'))
  .option('--column-types <json>', 'override column types, e.g. {"手机号":"phone"}')
  .option('--encoding <encoding>', 'CSV encoding (detected when omitted), e.g. gb18030, utf-8, utf-16le')
  .option('--delimiter <char>', 'CSV delimiter (detected when omitted)')
  .option('--dedupe', 'rows identical to an earlier row after cleaning go to the exceptions (重复行)')
  .action(
    async (file: string, opts: { out: string; format: 'xlsx' | 'csv'; columnTypes?: string; encoding?: string; delimiter?: string; dedupe?: boolean }) => {
      process.exitCode = await (await import('./clean.js')).runClean(file, opts);
    },
  );

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
