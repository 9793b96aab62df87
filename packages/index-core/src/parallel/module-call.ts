import { LibvqError } from '../errors.js';
import { runParallel } from './pool.js';

// Packages above index-core run their own kernels on the index threads (train's batch scores): a 'call' job names
// an ES module and one of its exported functions; a worker imports the module (once: the import is cached) and
// calls the function with the job's arguments. No registry is involved, so the module need not be loaded in
// the worker beforehand and a built package and its sources work alike.

export interface ModuleCallJob {
  readonly op: 'call';
  /** The module's URL (import.meta.url-relative: a .ts source under tsx, a .js file when built). */
  readonly module: string;
  /** The exported function's name; it takes `args` and returns nothing (results go into shared buffers). */
  readonly fn: string;
  readonly args: unknown;
}

/**
 * Runs `fn` of `module` once per share: share 0 with `local` on the calling thread, the others on index threads,
 * and returns when all are done (runParallel: the first failure is thrown after every share finished). The
 * shares' arguments must hold their buffers in shared memory (sharedScratch) for the results to be seen here.
 */
export function runModuleShares(module: string, fn: string, shares: readonly unknown[], local: (args: unknown) => void): void {
  if (shares.length === 0) return;
  const jobs: ModuleCallJob[] = shares.map((args) => ({ op: 'call', module, fn, args }));
  runParallel(jobs, () => local(shares[0]));
}

/** Worker side: the function a 'call' job names, from its module. */
export async function moduleFunction(job: ModuleCallJob): Promise<(args: unknown) => unknown> {
  const m = (await import(job.module)) as Record<string, unknown>;
  const f = m[job.fn];
  if (typeof f !== 'function') throw new LibvqError('INTERNAL', `index thread: ${job.module} exports no function ${JSON.stringify(job.fn)}`);
  return f as (args: unknown) => unknown;
}
