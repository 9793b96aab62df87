import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { registerJob } from './jobs.js';

let gc: (() => void) | undefined;

/** From this size on, an array that turns to garbage is worth a full collection to free it at once (see callers). */
export const LARGE_GARBAGE_BYTES = 32 * 1024 * 1024;

/**
 * A full, synchronous garbage collection of the calling thread's heap. Why a library does this: a
 * SharedArrayBuffer (k-means' sample, training residuals, 105 MB on GloVe) is freed only when every thread that
 * held it has collected its handle, and V8 does not collect for the memory behind a handle it can no longer reach
 * until something else triggers a full collection — on a calling thread that goes on to add and search, often
 * not before the next large buffer piles on (measured: 2-thread peak 518 MB, 414 MB with one collection after
 * training; 369 MB at one thread). Called once per threaded training, where it costs milliseconds against seconds.
 * The function is V8's own gc(), taken from a fresh context while --expose-gc is on (as jest's leak detector
 * does), with the flag turned off again at once, so no other context gains a `gc` global. Synchronous, so the
 * calling thread of a sync API can run it, and a worker runs it as a job ('collect': collectThreadGarbage in
 * pool.ts posts one to each worker after the calling thread has taken its own gc(); each thread sets the flag once,
 * to the same values).
 */
export function collectGarbageNow(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    try {
      gc = runInNewContext('gc') as () => void;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  }
  gc();
}

registerJob('collect', () => collectGarbageNow());
