/// <reference path="../backend/js/wasm/webassembly.d.ts" />
import type { PackedLists } from '../backend/types.js';
import type { InvertedLists } from '../indexes/inverted-lists.js';
import { newArena } from './new-arena.js';

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
