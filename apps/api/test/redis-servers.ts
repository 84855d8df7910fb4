// Redis servers a test starts itself from the machine's `redis-server`: a Cluster of three
// masters and a primary with a replica watched by one Sentinel, on loopback ports, in a temporary
// directory, stopped (and removed) afterwards.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.ts';

export const hasRedisServer = (() => {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    execFileSync('redis-cli', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function redisAnswers(port: number, command: string[], expected: (reply: unknown) => boolean): Promise<boolean> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {}); // the server may not be listening yet: the caller tries again
  try {
    await client.connect();
    return expected(await client.call(command[0] as string, ...command.slice(1)));
  } finally {
    client.disconnect();
  }
}

/** A group of redis-server processes sharing one temporary directory. */
export function redisGroup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'register-redis-'));
  const children: ChildProcess[] = [];
  async function start(args: string[], configFile?: string): Promise<number> {
    const port = await freePort();
    const argv = [
      ...(configFile ? [configFile, '--sentinel'] : []),
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...args,
    ];
    const child = spawn('redis-server', argv, { stdio: 'ignore' });
    children.push(child);
    await until(() => redisAnswers(port, ['PING'], (r) => r === 'PONG'), `redis-server on ${port}`);
    return port;
  }
  return {
    /** One plain server. */
    single: () => start([]),
    /** SIGSTOP / SIGCONT every server of the group: a stalled server, as TCP sees it. */
    pause: () => {
      for (const child of children) child.kill('SIGSTOP');
    },
    resume: () => {
      for (const child of children) child.kill('SIGCONT');
    },
    /** Three masters, the 16384 slots spread over them; resolves once the cluster state is ok. */
    async cluster(): Promise<number[]> {
      const ports: number[] = [];
      for (let i = 0; i < 3; i++) {
        ports.push(
          await start(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`, '--cluster-node-timeout', '2000']),
        );
      }
      execFileSync(
        'redis-cli',
        ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
        {
          stdio: 'ignore',
        },
      );
      for (const port of ports) {
        await until(
          () => redisAnswers(port, ['CLUSTER', 'INFO'], (r) => String(r).includes('cluster_state:ok')),
          `cluster state ok on ${port}`,
        );
      }
      return ports;
    },
    /** A primary, a replica of it, and one Sentinel watching them as `name`. */
    async sentinel(name: string): Promise<{ primary: number; replica: number; sentinel: number }> {
      const primary = await start([]);
      const replica = await start(['--replicaof', '127.0.0.1', String(primary)]);
      const configFile = path.join(dir, 'sentinel.conf');
      fs.writeFileSync(
        configFile,
        `sentinel monitor ${name} 127.0.0.1 ${primary} 1\nsentinel down-after-milliseconds ${name} 2000\n`,
      );
      const sentinel = await start([], configFile);
      await until(
        () =>
          redisAnswers(
            sentinel,
            ['SENTINEL', 'get-master-addr-by-name', name],
            (r) => Array.isArray(r) && r[1] === String(primary),
          ),
        'the sentinel to know the primary',
      );
      return { primary, replica, sentinel };
    },
    async stop() {
      for (const child of children) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
      }
      await Promise.all(
        children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))),
      );
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
