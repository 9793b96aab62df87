import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type TransferListItem } from 'node:worker_threads';
import { LibvqError } from '../errors.js';

// Every worker starts through this small CommonJS bootstrap, for two reasons. Run from TypeScript sources
// (tests, `node --import tsx`), the entry is a .ts file that plain Node cannot load, and hooks registered in
// the parent do not reach worker threads: the bootstrap registers tsx inside the worker first (when
// workerData.tsxApi is set). And a failure to load the entry (a missing file, a module that throws) is
// posted as { type: 'error', id: -1 } on workerData.port when the caller passed one (a pool that blocks
// in Atomics.wait reads it there), else on parentPort. With workerData.signal (an Int32Array over shared
// memory) the worker's exit sets signal[1] and wakes signal[0], so a blocked caller learns of it.
const BOOTSTRAP = `const { workerData, parentPort } = require('node:worker_threads');
const signal = workerData.signal;
if (signal) process.on('exit', () => { Atomics.store(signal, 1, 1); Atomics.add(signal, 0, 1); Atomics.notify(signal, 0); });
const load = workerData.tsxApi ? import(workerData.tsxApi).then((api) => { api.register(); }) : Promise.resolve();
load.then(() => import(workerData.entry)).catch((err) => {
  (workerData.port || parentPort).postMessage({ type: 'error', id: -1, message: 'worker bootstrap failed: ' + (err && err.message) });
});`;

function tsxApiUrl(what: string): string {
  try {
    const req = createRequire(import.meta.url);
    const pkgPath = req.resolve('tsx/package.json');
    const pkg = req('tsx/package.json') as { exports: Record<string, { import: { default: string } }> };
    return new URL(pkg.exports['./esm/api'].import.default, pathToFileURL(pkgPath)).href;
  } catch (err) {
    throw new LibvqError('UNSUPPORTED', `${what} running from TypeScript sources need the tsx package (${(err as Error).message}); use one thread / worker or the built package`, { cause: err });
  }
}

/** True when `url` (a module's import.meta.url) is a TypeScript source rather than a built .js file. */
export function isTypeScriptModule(url: string): boolean {
  return /\.[cm]?ts$/.test(new URL(url).pathname);
}

export interface SpawnOptions {
  workerData?: Record<string, unknown>;
  transferList?: TransferListItem[];
  /** Forces the tsx bootstrap even for a .js entry (e.g. the entry imports .ts modules). */
  needsTsx?: boolean;
  /** Names the workers in errors ("tokenizer workers", "index threads"). */
  what: string;
  /** Caps the worker's young generation (V8's default lets it grow to tens of MB per thread). */
  youngGenerationMb?: number;
}

/**
 * The parent's Node options for a worker, less those that make eval'd code an ES module: the bootstrap is
 * CommonJS, and under `node --input-type=module -e ...` (or --experimental-default-type=module) it died on its
 * first `require` before it could report, so a pool blocked waiting for the thread timed out (120 s).
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    if (a === '--input-type' || a === '--experimental-default-type') i++; // the value is the next argument
    else if (!a.startsWith('--input-type=') && !a.startsWith('--experimental-default-type=')) out.push(a);
  }
  return out;
}

/**
 * Starts a worker on `entry` through the bootstrap above: a built .js entry directly, a .ts entry with tsx
 * registered first (and the "source" export condition, so workspace packages resolve to their sources as in
 * the parent).
 */
export function spawnWorker(entry: URL, opts: SpawnOptions): Worker {
  const data = opts.workerData ?? {};
  const ts = opts.needsTsx === true || isTypeScriptModule(entry.href);
  return new Worker(BOOTSTRAP, {
    eval: true,
    workerData: { ...data, tsxApi: ts ? tsxApiUrl(opts.what) : undefined, entry: entry.href },
    transferList: opts.transferList,
    execArgv: ts ? ['--conditions=source'] : workerExecArgv(process.execArgv),
    ...(opts.youngGenerationMb !== undefined ? { resourceLimits: { maxYoungGenerationSizeMb: opts.youngGenerationMb } } : {}),
  });
}
