import { LARGE_GARBAGE_BYTES, collectGarbageNow } from './collect.js';

type Typed = Float32Array | Float64Array | Int32Array | Uint8Array | BigInt64Array;
type Ctor<T extends Typed> = { new (buffer: SharedArrayBuffer, byteOffset?: number, length?: number): T; BYTES_PER_ELEMENT: number };

/**
 * A new SharedArrayBuffer of `bytes`; a large one is preceded by a full garbage collection of this thread. V8
 * starts a collection when ordinary ArrayBuffers pile up, not when shared ones are allocated, so garbage that a
 * one-thread run frees before its k-means sample (vectors the caller loaded and dropped, an earlier sample) stayed
 * resident beside the 2-thread sample: GloVe, IVF1024,PQ50x4fs, 2 threads, peak 521 → 389 MB with this and the
 * collections after threaded training (collect.ts); 376 MB at one thread.
 */
function newSharedBuffer(bytes: number): SharedArrayBuffer {
  if (bytes >= LARGE_GARBAGE_BYTES) collectGarbageNow();
  return new SharedArrayBuffer(bytes);
}

/** A zeroed typed array of `length` elements over a new SharedArrayBuffer. */
export function sharedArray<T extends Typed>(ctor: Ctor<T>, length: number): T {
  return new ctor(newSharedBuffer(Math.max(1, length) * ctor.BYTES_PER_ELEMENT), 0, length);
}

/** Whether the array's memory is a SharedArrayBuffer (workers can read it without a copy). */
export function isShared(a: Typed): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
}

/** A copy of `src` in shared memory (workers see it without a copy of their own). */
export function sharedCopy<T extends Typed>(src: T): T {
  const out = sharedArray(src.constructor as unknown as Ctor<T>, src.length);
  (out as Float32Array).set(src as unknown as Float32Array);
  return out;
}

/** `a` itself when it already lives in shared memory (stored data allocated there from the start), else a shared copy. */
export function sharedOrCopy<T extends Typed>(a: T): T {
  return isShared(a) ? a : sharedCopy(a);
}

const scratch = new Map<string, SharedArrayBuffer>();

/**
 * A shared typed array of `length` elements over a buffer reused from call to call (one per `slot`, grown when
 * too small; contents are whatever the last call left). Per-call inputs and outputs of the batch operations go
 * here: a fresh SharedArrayBuffer per call piles up, because the worker isolates release their references only at
 * their own garbage collections, which a worker that allocates little rarely runs (measured: adding 437k × 384
 * vectors with 2 threads grew the resident set by 335 MB more than with 1). runParallel is synchronous, so a
 * call's jobs are done before the next call reuses the slot.
 */
export function sharedScratch<T extends Typed>(slot: string, ctor: Ctor<T>, length: number): T {
  const bytes = Math.max(1, length) * ctor.BYTES_PER_ELEMENT;
  let sab = scratch.get(slot);
  if (sab === undefined || sab.byteLength < bytes) {
    sab = newSharedBuffer(bytes);
    scratch.set(slot, sab);
  }
  return new ctor(sab, 0, length);
}

const idle = new Map<string, SharedArrayBuffer[]>();

/** A shared array held by one asynchronous call until `release()` (see leaseShared). */
export interface SharedLease<T> {
  readonly array: T;
  release(): void;
}

/**
 * sharedScratch for asynchronous calls, which may overlap: each call leases a buffer of its own and gives it
 * back when done, so concurrent calls never share one and sequential calls reuse them (no pile-up of
 * SharedArrayBuffers, for the reason given at sharedScratch).
 */
export function leaseShared<T extends Typed>(slot: string, ctor: Ctor<T>, length: number): SharedLease<T> {
  const bytes = Math.max(1, length) * ctor.BYTES_PER_ELEMENT;
  const pool = idle.get(slot) ?? [];
  idle.set(slot, pool);
  const at = pool.findIndex((b) => b.byteLength >= bytes);
  const sab = at >= 0 ? pool.splice(at, 1)[0] : newSharedBuffer(bytes);
  let released = false;
  return {
    array: new ctor(sab, 0, length),
    release() {
      if (released) return;
      released = true;
      // Keep a few per slot: the largest, which serve any later call of the same or smaller size.
      pool.push(sab);
      pool.sort((a, b) => b.byteLength - a.byteLength);
      if (pool.length > 4) pool.length = 4;
    },
  };
}
