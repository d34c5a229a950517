/**
 * A TCP proxy in front of a database server that can hold a client's next statement: after
 * `holdAfter('commit')` it forwards the chunk that contains the marker, then buffers every later
 * client→server byte until `release()`. Lets a test stop a second database client right after a
 * transaction commits and before its next statement, deterministically.
 *
 *   const gate = await TcpGate.start('127.0.0.1', 5432);
 *   const db = createDatabase(gate.rewrite(url));
 *   gate.holdAfter('commit');  … work … ; gate.release();
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class TcpGate {
  private holding = false;
  private marker?: Buffer;
  private readonly held: { upstream: Socket; chunk: Buffer }[] = [];
  private readonly sockets = new Set<Socket>();
  private heldResolvers: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpGate> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP port');
    const gate = new TcpGate(server, address.port);
    server.on('connection', (client) => gate.accept(client, targetHost, targetPort));
    return gate;
  }

  /** The same database URL, through this proxy. */
  rewrite(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Forwards up to and including the next chunk that contains `marker`, then holds. */
  holdAfter(marker: string): void {
    this.marker = Buffer.from(marker);
  }

  /** Resolves once client bytes are being held (the client has sent its next statement). */
  whenHolding(): Promise<void> {
    if (this.held.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.heldResolvers.push(resolve));
  }

  release(): void {
    this.holding = false;
    this.marker = undefined;
    for (const { upstream, chunk } of this.held.splice(0)) upstream.write(chunk);
  }

  async close(): Promise<void> {
    this.release();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, host: string, port: number): void {
    const upstream = connect(port, host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    client.on('data', (chunk: Buffer) => {
      if (this.holding) {
        this.held.push({ upstream, chunk });
        for (const resolve of this.heldResolvers.splice(0)) resolve();
        return;
      }
      upstream.write(chunk);
      if (this.marker && chunk.includes(this.marker)) this.holding = true;
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }
}
