import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../../errors.js';

/** Counts bytes and fails the pipeline as soon as the limit is passed. */
export class SizeLimit extends Transform {
  bytes = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(new AppError('FILE_SIZE_EXCEEDED', `文件超过大小限制（${this.maxBytes} 字节）`, { maxBytes: this.maxBytes }));
      return;
    }
    callback(null, chunk);
  }
}
