/**
 * The part of archiver 5 (which ships no types) that the xlsx writer uses; see its README
 * ("archiver(format, options)", "append", "finalize").
 */
declare module 'archiver' {
  import type { Readable, Transform } from 'node:stream';

  export interface ZipOptions {
    zlib?: { level?: number; chunkSize?: number };
    /** Streams whose size is unknown are written with data descriptors (and ZIP64 when needed). */
    forceZip64?: boolean;
  }

  export interface Archiver extends Transform {
    append(source: Readable | Buffer | string, data: { name: string; date?: Date }): this;
    finalize(): Promise<void>;
    abort(): this;
  }

  export default function archiver(format: 'zip', options?: ZipOptions): Archiver;
}
