/**
 * Real multi-node Redis set-ups for tests, from Debian's redis-server / redis-sentinel, on free
 * ports in a temp dir, always with passwords and optionally TLS (a throw-away CA made with openssl):
 *
 *   const cluster = await RedisCluster.start({ tls: true });   // 3 masters, slots assigned, state ok
 *   … cluster.settings (REDIS_CLUSTER_NODES, REDIS_PASSWORD, REDIS_TLS…) …
 *   const ha = await SentinelSet.start();                       // master + replica + 3 sentinels
 *   await ha.killMaster();                                      // SIGKILL; sentinels promote the replica
 *   await cluster.stop(); await ha.stop();
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from './redis-server.js';

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A CA and a server certificate for 127.0.0.1 (also used as client certificate where asked). */
export function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  const cert = join(dir, 'server.pem');
  const key = join(dir, 'server.key');
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', ca, '-days', '2', '-subj', '/CN=dcs test CA']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', join(dir, 'server.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run([
    'x509',
    '-req',
    '-in',
    join(dir, 'server.csr'),
    '-CA',
    ca,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '2',
    '-extfile',
    join(dir, 'san.ext'),
  ]);
  return { ca, cert, key };
}

class Node {
  child?: ChildProcess;
  constructor(
    readonly port: number,
    readonly dir: string,
    readonly args: string[],
    readonly binary = 'redis-server',
  ) {}

  start(): void {
    const child = spawn(this.binary, this.args, { stdio: 'ignore', cwd: this.dir });
    live.add(child);
    child.once('exit', () => live.delete(child));
    this.child = child;
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

interface Common {
  password: string;
  dir: string;
  tls?: { ca: string; cert: string; key: string };
}

/** redis-server arguments shared by every data node: password, persistence off, TLS when asked. */
function dataNodeArgs(port: number, c: Common, extra: string[]): string[] {
  const listen = c.tls
    ? [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        c.tls.cert,
        '--tls-key-file',
        c.tls.key,
        '--tls-ca-cert-file',
        c.tls.ca,
        '--tls-auth-clients',
        'no',
        '--tls-replication',
        'yes',
        '--tls-cluster',
        'yes',
      ]
    : ['--port', String(port)];
  return [
    ...listen,
    '--bind',
    '127.0.0.1',
    '--requirepass',
    c.password,
    '--masterauth',
    c.password,
    '--save',
    '',
    '--appendonly',
    'no',
    '--maxmemory-policy',
    'noeviction',
    '--daemonize',
    'no',
    ...extra,
  ];
}

/** A client for setup checks (ioredis speaks TLS when given `tls`). */
function adminClient(port: number, c: Common): Redis {
  return new Redis({
    host: '127.0.0.1',
    port,
    password: c.password,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    ...(c.tls ? { tls: { ca: readFileSync(c.tls.ca) } } : {}),
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await sleep(200);
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
}

async function ask<T>(port: number, c: Common, work: (r: Redis) => Promise<T>): Promise<T> {
  const r = adminClient(port, c);
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await work(r);
  } finally {
    r.disconnect();
  }
}

/** Settings as the product's configuration takes them. */
export type TopologySettings = Record<string, string>;

export class RedisCluster {
  private constructor(
    readonly nodes: Node[],
    readonly common: Common,
  ) {}

  static async start(options: { tls?: boolean; masters?: number } = {}): Promise<RedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'dcs-cluster-'));
    const common: Common = { password: `pw-${Math.random().toString(36).slice(2)}`, dir, ...(options.tls ? { tls: makeCertificates(dir) } : {}) };
    const nodes: Node[] = [];
    for (let i = 0; i < (options.masters ?? 3); i++) {
      const port = await freePort();
      const nodeDir = join(dir, `n${i}`);
      mkdirSync(nodeDir);
      nodes.push(
        new Node(
          port,
          nodeDir,
          dataNodeArgs(port, common, ['--dir', nodeDir, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000']),
        ),
      );
    }
    const cluster = new RedisCluster(nodes, common);
    for (const node of nodes) node.start();
    for (const node of nodes) await until(`node ${node.port} up`, () => ask(node.port, common, (r) => r.ping()));
    // Assign the 16384 slots evenly and let the nodes meet (what `redis-cli --cluster create` does).
    const per = Math.ceil(16384 / nodes.length);
    for (const [i, node] of nodes.entries()) {
      const slots = Array.from({ length: Math.min(per, 16384 - i * per) }, (_, k) => i * per + k);
      await ask(node.port, common, (r) => r.call('CLUSTER', 'ADDSLOTS', ...slots.map(String)));
    }
    for (const node of nodes.slice(1)) await ask(node.port, common, (r) => r.call('CLUSTER', 'MEET', '127.0.0.1', String(nodes[0].port)));
    for (const node of nodes) {
      await until(`cluster state ok on ${node.port}`, () =>
        ask(node.port, common, async (r) => ((await r.call('CLUSTER', 'INFO')) as string).includes('cluster_state:ok') || undefined),
      );
    }
    return cluster;
  }

  get settings(): TopologySettings {
    return {
      REDIS_CLUSTER_NODES: this.nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
      REDIS_PASSWORD: this.common.password,
      ...(this.common.tls ? { REDIS_TLS: 'true', REDIS_TLS_CA_FILE: this.common.tls.ca } : {}),
    };
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) await node.kill();
    rmSync(this.common.dir, { recursive: true, force: true });
  }
}

export class SentinelSet {
  readonly masterName = 'dcsmaster';

  private constructor(
    readonly dataNodes: Node[],
    readonly sentinels: Node[],
    readonly common: Common,
    readonly sentinelPassword: string,
  ) {}

  static async start(options: { tls?: boolean } = {}): Promise<SentinelSet> {
    const dir = mkdtempSync(join(tmpdir(), 'dcs-sentinel-'));
    const common: Common = { password: `pw-${Math.random().toString(36).slice(2)}`, dir, ...(options.tls ? { tls: makeCertificates(dir) } : {}) };
    const sentinelPassword = `spw-${Math.random().toString(36).slice(2)}`;
    const [masterPort, replicaPort] = [await freePort(), await freePort()];
    const master = new Node(masterPort, dir, dataNodeArgs(masterPort, common, ['--dir', dir, '--dbfilename', 'm.rdb']));
    const replica = new Node(
      replicaPort,
      dir,
      dataNodeArgs(replicaPort, common, ['--dir', dir, '--dbfilename', 'r.rdb', '--replicaof', '127.0.0.1', String(masterPort)]),
    );
    const set = new SentinelSet([master, replica], [], common, sentinelPassword);
    master.start();
    replica.start();
    await until('replica in sync', () =>
      ask(replicaPort, common, async (r) => ((await r.info('replication')).includes('master_link_status:up') ? true : undefined)),
    );
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${i}.conf`);
      const tlsLines = common.tls
        ? [
            `port 0`,
            `tls-port ${port}`,
            `tls-cert-file ${common.tls.cert}`,
            `tls-key-file ${common.tls.key}`,
            `tls-ca-cert-file ${common.tls.ca}`,
            'tls-auth-clients no',
            'tls-replication yes',
          ]
        : [`port ${port}`];
      writeFileSync(
        conf,
        [
          ...tlsLines,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `requirepass ${sentinelPassword}`,
          `sentinel monitor ${set.masterName} 127.0.0.1 ${masterPort} 2`,
          `sentinel auth-pass ${set.masterName} ${common.password}`,
          `sentinel sentinel-pass ${sentinelPassword}`,
          `sentinel down-after-milliseconds ${set.masterName} 1000`,
          `sentinel failover-timeout ${set.masterName} 5000`,
          `sentinel parallel-syncs ${set.masterName} 1`,
          '',
        ].join('\n'),
      );
      const sentinel = new Node(port, dir, [conf], 'redis-sentinel');
      sentinel.start();
      set.sentinels.push(sentinel);
    }
    const sentinelCommon = { ...common, password: sentinelPassword };
    for (const s of set.sentinels) {
      await until(`sentinel ${s.port} sees the replica and the other sentinels`, () =>
        ask(s.port, sentinelCommon, async (r) => {
          const [master] = (await r.call('SENTINEL', 'MASTERS')) as string[][];
          const field = (name: string) => Number(master[master.indexOf(name) + 1]);
          return field('num-slaves') >= 1 && field('num-other-sentinels') >= 2 ? true : undefined;
        }),
      );
    }
    return set;
  }

  get settings(): TopologySettings {
    return {
      REDIS_SENTINELS: this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
      REDIS_SENTINEL_NAME: this.masterName,
      REDIS_PASSWORD: this.common.password,
      REDIS_SENTINEL_PASSWORD: this.sentinelPassword,
      ...(this.common.tls ? { REDIS_TLS: 'true', REDIS_TLS_CA_FILE: this.common.tls.ca } : {}),
    };
  }

  /** Port of the node the sentinels currently name as master. */
  async masterPort(): Promise<number> {
    const [, port] = await ask(
      this.sentinels[0].port,
      { ...this.common, password: this.sentinelPassword },
      (r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName) as Promise<string[]>,
    );
    return Number(port);
  }

  /** SIGKILLs the current master and waits until the sentinels name the other node. */
  async killMaster(): Promise<{ from: number; to: number }> {
    const from = await this.masterPort();
    await this.dataNodes.find((n) => n.port === from)!.kill();
    const to = await until('failover to the replica', async () => {
      const port = await this.masterPort();
      return port !== from ? port : undefined;
    });
    return { from, to };
  }

  async stop(): Promise<void> {
    for (const node of [...this.sentinels, ...this.dataNodes]) await node.kill();
    rmSync(this.common.dir, { recursive: true, force: true });
  }
}
