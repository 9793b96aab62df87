/// <reference path="../backend/js/wasm/webassembly.d.ts" />
import { SHARED_MAX_PAGES } from '../backend/js/wasm/bytes.js';

const PAGE = 65536;
/** A wasm32 memory holds at most 4 GiB; lists beyond ~3 GiB stay ordinary arrays (scanned through a copy). */
export const MAX_ARENA = 3 * 1024 ** 3;

/**
 * A zeroed shared WebAssembly memory of at least `bytes` for an IVF index's list codes (an "arena"), or undefined past
 * MAX_ARENA. The SIMD kernel scans lists where they lie in it: copying each list into the kernel's memory took as
 * long as scanning it (GloVe, nprobe 8). Shared, so one arena serves every thread: worker replicas view the same
 * pages, and each thread's scanner grows the memory by a head of its own for its tables and candidates
 * (pq4-scanner.ts, adc-scanner.ts). Pages past what is written are never touched, so they cost address space, not memory.
 */
export function newArena(bytes: number): WebAssembly.Memory | undefined {
  if (bytes > MAX_ARENA) return undefined;
  return new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)), maximum: SHARED_MAX_PAGES, shared: true });
}
