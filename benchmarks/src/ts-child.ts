/**
 * Each system of a benchmark runs in a fresh Node process of its own, so its figures are its own: the
 * resident-set high-water mark (process.resourceUsage().maxRSS) covers only that system's work, its
 * worker threads and native allocations included, and nothing one system leaves behind (heap, thread
 * pools, a native runtime) slows or inflates the next. The parent stays asynchronous while a child works.
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LibvqError } from '@libvq/index-core';
import { builtChildEntry, type ChildCode } from './built-child.js';

type ChildMessage<T> = { ok: true; result: T } | { ok: false; message: string; code?: string };

/** tsx's loader, resolved from here (the benchmarks run from TypeScript sources, like `pnpm bench`). */
function tsxLoaderUrl(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}

/**
 * Runs `entry` (a module of this package that calls childMain) in a new Node process with `spec` and
 * resolves with the result it sends back. stdout / stderr are the parent's (progress lines show).
 * `code`: 'built' runs it as users run libvq-ts, plain node on the packages' dist/ (built-child.ts);
 * 'source' through tsx on the TypeScript sources (no build needed; ~33 MB more resident set).
 */
export async function runTsChild<T>(entry: URL, spec: unknown, what: string, code: ChildCode = 'source'): Promise<T> {
  const [file, execArgv] = code === 'built'
    ? [await builtChildEntry(entry), []]
    : [fileURLToPath(entry), ['--conditions=source', '--import', tsxLoaderUrl()]];
  return new Promise((resolve, reject) => {
    const child = fork(file, [JSON.stringify(spec)], {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced', // typed arrays cross as typed arrays, not as JSON number lists
    });
    let reply: ChildMessage<T> | undefined;
    child.on('message', (m) => {
      reply = m as ChildMessage<T>;
    });
    child.on('error', (err) => reject(new LibvqError('IO', `${what}: could not start the child process: ${err.message}`, { cause: err })));
    child.on('exit', (code, signal) => {
      if (reply?.ok) resolve(reply.result);
      else if (reply) reject(new LibvqError(reply.code === 'INVALID_ARGUMENT' ? 'INVALID_ARGUMENT' : 'UNSUPPORTED', `${what}: ${reply.message}`));
      else reject(new LibvqError('IO', `${what}: the child process ended without a result (exit code ${code}, signal ${signal}; out of memory?)`));
    });
  });
}

/**
 * The child side: reads the spec from argv, runs `work`, sends the result (or the error) to the parent
 * and exits. Errors keep their LibvqError code so a usage error stays a usage error in the parent.
 */
export function childMain<S, T>(work: (spec: S) => Promise<T>): void {
  const send = (m: ChildMessage<T>) =>
    new Promise<void>((done) => {
      process.send!(m, () => done());
    });
  const spec = JSON.parse(process.argv[2]) as S;
  work(spec)
    .then((result) => send({ ok: true, result }))
    .catch((err: unknown) => {
      const e = err as { message?: string; code?: string; stack?: string };
      console.error(e.stack ?? String(err));
      return send({ ok: false, message: e.message ?? String(err), code: e.code });
    })
    .finally(() => {
      // Leave even if a library keeps a handle open (a GPU context, a native runtime's threads): the
      // result has been delivered, and the parent waits for this exit.
      process.disconnect();
      process.exit();
    });
}

/** The process's resident-set high-water mark so far, in bytes (Linux reports maxRSS in KiB). */
export function maxRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}
