/// <reference path="../backend/js/wasm/webassembly.d.ts" />
import { SHARED_MAX_PAGES } from '../backend/js/wasm/bytes.js';
import type { PackedLists } from '../backend/types.js';
import type { InvertedLists } from '../indexes/inverted-lists.js';

const PAGE = 65536;
/** A wasm32 memory holds at most 4 GiB; lists beyond ~3 GiB stay ordinary arrays (scanned through a copy). */
export const MAX_ARENA = 3 * 1024 ** 3;

/**
 * A zeroed shared WebAssembly memory of at least `bytes` for packed fast-scan lists (an "arena"), or undefined past
 * MAX_ARENA. The SIMD kernel scans lists where they lie in it: copying each list into the kernel's memory took as
 * long as scanning it (GloVe, nprobe 8). Shared, so one arena serves every thread: worker replicas view the same
 * pages, and each thread's scanner grows the memory by a head of its own for its tables and candidates
 * (pq4-scanner.ts). Pages past what is written are never touched, so they cost address space, not memory.
 */
export function newArena(bytes: number): WebAssembly.Memory | undefined {
  if (bytes > MAX_ARENA) return undefined;
  return new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)), maximum: SHARED_MAX_PAGES, shared: true });
}

/**
 * The arena an IVF-PQ index's lists keep their codes in, for the scan kernels to read in place (fast-scan's blocks,
 * 8-bit codes alike): after a change (add, remove, file loading) the codes are placed back to back in a new arena
 * and the arrays they held are freed, so an index keeps one copy of its codes, as faiss does. Undefined when the
 * codes exceed MAX_ARENA (the lists keep their arrays and the kernels copy them in).
 */
export function listsArena(inv: InvertedLists): { memory: WebAssembly.Memory } | undefined {
  const region = inv.currentRegion();
  if (region?.memory !== undefined) return { memory: region.memory };
  const bytes = inv.codeBytes();
  const memory = newArena(bytes);
  if (memory === undefined) return undefined;
  inv.placeCodes(new Uint8Array(memory.buffer, 0, bytes), memory);
  return { memory };
}

/** A fast-scan IVF index's lists as the scan reads them: faiss's block layout (code-layout.ts packed4), in their arena. */
export function packedInvertedLists(inv: InvertedLists): PackedLists {
  const arena = listsArena(inv);
  return { sizes: inv.sizes, blocks: inv.codes, ...(arena ? { arena } : {}) };
}
