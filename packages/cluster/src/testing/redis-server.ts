import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real redis-server (Debian's package; .ci/run installs it) on 127.0.0.1, a free port and a temporary directory,
 * with the append-only file synced on every write: what a cluster run needs to survive a Redis restart.
 */
export interface RedisServer {
  readonly port: number;
  /** redis://[user:password@]127.0.0.1:port */
  readonly url: string;
  /** Kills the server (SIGKILL: nothing flushed at exit) and starts it again on the same port and data. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(opts: { user?: string; password?: string } = {}): Promise<RedisServer> {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error('redis-server is not installed: the cluster tests run a real one (apt-get install redis-server; see .ci/run)');
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'libvq-redis-'));
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '',
    '--maxmemory-policy', 'noeviction', '--daemonize', 'no', '--loglevel', 'notice',
  ];
  if (opts.user) args.push('--user', 'default', 'off', '--user', opts.user, 'on', `>${opts.password}`, '~*', '&*', '+@all');
  let proc = await launch(args);
  const auth = opts.user ? `${opts.user}:${encodeURIComponent(opts.password ?? '')}@` : '';
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    async restart(downMs = 500) {
      await kill(proc, 'SIGKILL');
      await new Promise((r) => setTimeout(r, downMs));
      proc = await launch(args);
    },
    async stop() {
      await kill(proc, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts redis-server and resolves once it logs that it is ready (after loading its append-only file). */
async function launch(args: string[]): Promise<ChildProcess> {
  const p = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server not ready after 10 s:\n${log}`)), 10_000);
    const onData = (d: Buffer) => {
      log += d.toString();
      if (log.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
    p.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}) before it was ready:\n${log}`));
    });
  });
  return p;
}

function kill(p: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    p.once('exit', () => resolve());
    p.kill(signal);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
