import { LARGE_GARBAGE_BYTES } from './collect.js';
import { collectThreadGarbage } from './pool.js';

/** Bytes of the ArrayBuffers this thread allocated that are not freed yet: live ones and garbage. */
const heldArrayBuffers = (): number => process.memoryUsage().arrayBuffers;

/**
 * Frees the garbage a long operation leaves behind as it goes (k-means' per-iteration assignments, an add's
 * per-batch residuals, codes and replaced list arrays): between two steps, one full collection on every thread
 * when the ArrayBuffers this thread holds have grown by LARGE_GARBAGE_BYTES since the last one. Why: V8 collects
 * for ArrayBuffers only once ~64 MB more of them are held than at its last full collection, and memory it frees
 * that late has already raised the resident set (GloVe IVF4096,PQ20x8, one thread, native: 88 MB of garbage still
 * held when training ended). Growth that is live data (lists filling up) costs one collection per 32 MB of it;
 * a collection of a library-sized heap takes milliseconds, a k-means iteration or an add batch far longer.
 */
export class GarbageMeter {
  private base = heldArrayBuffers();

  constructor(private readonly thresholdBytes = LARGE_GARBAGE_BYTES) {}

  /** Called between steps: collects if the garbage may have reached the threshold. */
  check(): void {
    if (heldArrayBuffers() - this.base < this.thresholdBytes) return;
    collectThreadGarbage();
    this.base = heldArrayBuffers();
  }
}
