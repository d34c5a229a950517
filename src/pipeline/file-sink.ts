import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createRowMapper, createTableWriter, type RowMapper, type TableWriter } from '../export/index.js';
import { OutputGuard } from '../export/stream-util.js';
import type { TableDetails } from '../parsing/types.js';
import { exportSheetName, writeExport, type ResultKind } from './export-job.js';
import type { RecordBatch, RecordSink } from './types.js';
import type { CleanRecord, ExceptionRecord, ExportFormat, SheetLayout } from '../domain/index.js';

export interface FileSinkOutputs {
  clean: string;
  exceptions: string;
}

/**
 * A spool file of JSON lines. The guard keeps a write error (ENOSPC…) or a destroy during a pending
 * write from surfacing as an unhandled 'error' event, which would crash the process.
 */
interface Spool {
  stream: WriteStream;
  guard: OutputGuard;
}

function openSpool(path: string): Spool {
  const stream = createWriteStream(path);
  return { stream, guard: new OutputGuard(stream) };
}

async function writeChunk(spool: Spool, chunk: string): Promise<void> {
  spool.guard.throwIfFailed();
  if (!spool.stream.write(chunk)) await spool.guard.waitForDrain(spool.stream);
}

async function endSpool(spool: Spool): Promise<void> {
  spool.guard.throwIfFailed();
  spool.stream.end();
  await spool.guard.finished();
}

async function* readSpool<T>(path: string, batchSize = 2000): AsyncGenerator<T[]> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let batch: T[] = [];
  for await (const line of lines) {
    if (!line) continue;
    batch.push(JSON.parse(line) as T);
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Writes `clean_data.<format>` and `exception_data.<format>` into a directory (the `dcs clean`
 * command). A single-sheet file is written straight through; a multi-sheet workbook needs the
 * columns of every sheet before the first row (SPEC R11: one table with 工作表 and the union of the
 * columns), so its records are spooled to temporary files and exported at the end. Outputs appear
 * under their final names only when complete; on failure nothing is left behind.
 */
export class FileSink implements RecordSink {
  readonly outputs: FileSinkOutputs;
  private readonly layouts: SheetLayout[] = [];
  private spooling = false;
  private direct?: { mapper: RowMapper; clean: TableWriter; exceptions: TableWriter };
  private spools?: { clean: Spool; exceptions: Spool };
  private readonly partial: FileSinkOutputs;
  private readonly spoolPaths: FileSinkOutputs;

  constructor(
    private readonly outDir: string,
    private readonly format: ExportFormat,
  ) {
    this.outputs = { clean: join(outDir, `clean_data.${format}`), exceptions: join(outDir, `exception_data.${format}`) };
    const tag = `${process.pid}-${Date.now()}`;
    this.partial = { clean: `${this.outputs.clean}.${tag}.partial`, exceptions: `${this.outputs.exceptions}.${tag}.partial` };
    this.spoolPaths = { clean: join(outDir, `.clean.${tag}.spool`), exceptions: join(outDir, `.exceptions.${tag}.spool`) };
  }

  async begin(details: TableDetails): Promise<void> {
    await mkdir(this.outDir, { recursive: true });
    this.spooling = (details.sheetCount ?? 1) > 1;
    if (this.spooling) {
      this.spools = { clean: openSpool(this.spoolPaths.clean), exceptions: openSpool(this.spoolPaths.exceptions) };
    }
  }

  async sheet(layout: SheetLayout): Promise<void> {
    this.layouts.push(layout);
    if (this.spooling) return;
    if (this.direct) throw new Error('a second sheet in a file announced as single-sheet');
    const mapper = createRowMapper([layout]);
    this.direct = {
      mapper,
      clean: await createTableWriter(this.format, createWriteStream(this.partial.clean), { name: exportSheetName('clean'), columns: [...mapper.cleanColumns] }),
      exceptions: await createTableWriter(this.format, createWriteStream(this.partial.exceptions), {
        name: exportSheetName('exceptions'),
        columns: [...mapper.exceptionColumns],
      }),
    };
  }

  async write(batch: RecordBatch): Promise<void> {
    if (this.direct) {
      const { mapper, clean, exceptions } = this.direct;
      if (batch.clean.length > 0) await clean.writeRows(batch.clean.map((r) => mapper.clean(r)));
      if (batch.exceptions.length > 0) await exceptions.writeRows(batch.exceptions.map((r) => mapper.exception(r)));
    } else if (this.spools) {
      if (batch.clean.length > 0) await writeChunk(this.spools.clean, batch.clean.map((r) => JSON.stringify(r)).join('\n') + '\n');
      if (batch.exceptions.length > 0) await writeChunk(this.spools.exceptions, batch.exceptions.map((r) => JSON.stringify(r)).join('\n') + '\n');
    }
  }

  async finish(): Promise<void> {
    if (this.direct) {
      await this.direct.clean.close();
      await this.direct.exceptions.close();
    } else if (this.spools) {
      await endSpool(this.spools.clean);
      await endSpool(this.spools.exceptions);
      for (const kind of ['clean', 'exceptions'] as ResultKind[]) {
        const batches = kind === 'clean' ? readSpool<CleanRecord>(this.spoolPaths.clean) : readSpool<ExceptionRecord>(this.spoolPaths.exceptions);
        await writeExport(kind, this.format, this.layouts, batches, createWriteStream(this.partial[kind === 'clean' ? 'clean' : 'exceptions']));
      }
      await this.removeSpools();
    }
    await rename(this.partial.clean, this.outputs.clean);
    await rename(this.partial.exceptions, this.outputs.exceptions);
  }

  async abort(): Promise<void> {
    await this.direct?.clean.abort();
    await this.direct?.exceptions.abort();
    // Wait until the spool streams have closed: a stream still opening would create its file
    // again after the removal below.
    await Promise.all([this.spools?.clean.guard.destroy(), this.spools?.exceptions.guard.destroy()]);
    await Promise.all([rm(this.partial.clean, { force: true }), rm(this.partial.exceptions, { force: true }), this.removeSpools()]);
  }

  private async removeSpools(): Promise<void> {
    await Promise.all([rm(this.spoolPaths.clean, { force: true }), rm(this.spoolPaths.exceptions, { force: true })]);
  }
}
