/**
 * A real S3-protocol server for tests (s3rver, objects on disk in a temp dir) on a free port, with
 * one bucket. s3rver accepts the access key / secret `S3RVER` / `S3RVER`.
 *
 *   const s3 = await S3Server.start('dcs-test');
 *   … s3.env (AWS_* + S3_FORCE_PATH_STYLE for child processes), s3.clientConfig (in-process) …
 *   await s3.stop();
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import S3rver from 's3rver';
import { freePort } from './redis-server.js';

export class S3Server {
  private constructor(
    readonly bucket: string,
    readonly port: number,
    readonly dir: string,
    private server: S3rver,
  ) {}

  static async start(bucket: string): Promise<S3Server> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'dcs-s3-'));
    const server = new S3rver({ address: '127.0.0.1', port, silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
    await server.run();
    return new S3Server(bucket, port, dir, server);
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The standard AWS variables a `dcs` process reads. */
  get env(): Record<string, string> {
    return {
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: this.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
    };
  }

  get clientConfig() {
    return { endpoint: this.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };
  }

  /** Object keys in the bucket, read from s3rver's directory (independent of the code under test). */
  objectKeys(): string[] {
    const root = join(this.dir, this.bucket);
    const keys: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        // s3rver keeps each object as `<key>._S3rver_object` beside its metadata files.
        else if (name.endsWith('._S3rver_object')) keys.push(relative(root, path).slice(0, -'._S3rver_object'.length));
      }
    };
    try {
      walk(root);
    } catch {
      return [];
    }
    return keys.sort();
  }

  async stop(): Promise<void> {
    await this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Stops serving but keeps the objects (an outage); `resume()` serves them again on the same port. */
  async pause(): Promise<void> {
    await this.server.close();
  }

  async resume(): Promise<void> {
    this.server = new S3rver({ address: '127.0.0.1', port: this.port, silent: true, directory: this.dir, configureBuckets: [{ name: this.bucket }] });
    await this.server.run();
  }
}
