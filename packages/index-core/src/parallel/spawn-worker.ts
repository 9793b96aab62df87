import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type TransferListItem } from 'node:worker_threads';
import { LibvqError } from '../errors.js';

// Every worker starts through this small bootstrap, for two reasons. Run from TypeScript sources (tests,
// `node --import tsx`), the entry is a .ts file that plain Node cannot load, and hooks registered in the parent do
// not reach worker threads: the bootstrap registers tsx inside the worker first (when workerData.tsxApi is set). And
// a failure to load the entry (a missing file, a module that throws) is posted as { type: 'error', id: -1 } on
// workerData.port when the caller passed one (a pool that blocks in Atomics.wait reads it there), else on
// parentPort. With workerData.signal (an Int32Array over shared memory) the worker's exit sets signal[1] and wakes
// signal[0], so a blocked caller learns of it.
// It uses nothing but dynamic import(), which is valid both as a CommonJS script and as an ES module: a worker's
// eval'd code is one or the other depending on the parent's options (`node --input-type=module -e ...`,
// --experimental-default-type=module), and a bootstrap that called `require` died there before it could report.
const BOOTSTRAP = `import('node:worker_threads').then(({ workerData, parentPort }) => {
  const signal = workerData.signal;
  if (signal) process.on('exit', () => { Atomics.store(signal, 1, 1); Atomics.add(signal, 0, 1); Atomics.notify(signal, 0); });
  const load = workerData.tsxApi ? import(workerData.tsxApi).then((api) => { api.register(); }) : Promise.resolve();
  return load.then(() => import(workerData.entry)).catch((err) => {
    (workerData.port || parentPort).postMessage({ type: 'error', id: -1, message: 'worker bootstrap failed: ' + (err && err.message) });
  });
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
    // A built entry inherits the parent's options as Node gives them to workers (V8 and process-wide flags such as
    // --max-old-space-size or --expose-gc left out); an explicit copy of process.execArgv made Node refuse them
    // (ERR_WORKER_INVALID_EXEC_ARGV), so `node --max-old-space-size=16384 build.js` failed at its first thread.
    ...(ts ? { execArgv: ['--conditions=source'] } : {}),
    ...(opts.youngGenerationMb !== undefined ? { resourceLimits: { maxYoungGenerationSizeMb: opts.youngGenerationMb } } : {}),
  });
}
