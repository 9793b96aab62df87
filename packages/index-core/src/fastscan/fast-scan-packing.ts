/// <reference path="../backend/js/wasm/webassembly.d.ts" />
import type { PackedLists } from '../backend/types.js';
import { evenM, packBlocks, packedBlockBytes } from './pack-blocks.js';

const NO_BLOCKS = new Uint8Array(0);
const PAGE = 65536;
/** A wasm32 memory holds at most 4 GiB; lists beyond ~3 GiB stay ordinary arrays (scanned through a copy). */
const MAX_ARENA = 3 * 1024 ** 3;

/**
 * The block layout of a fast-scan index's lists, rebuilt from the one-byte codes when their version changes
 * (an add, a remove, a load): the scan reads these, everything else the one-byte codes. Packing costs one pass
 * over the codes, far less than one search batch over them. All lists go into one WebAssembly memory (an
 * "arena", PackedLists.arena) after a reserved head of table and scratch space, so the js backend's kernel scans
 * them in place: copying each list into the kernel's memory took as long as scanning it (GloVe, nprobe 8).
 */
export class FastScanPacking {
  private version = -1;
  private lists: PackedLists = { sizes: new Int32Array(0), blocks: [] };

  constructor(readonly M: number) {}

  of(version: number, sizes: Int32Array, codes: readonly Uint8Array[]): PackedLists {
    if (version === this.version && sizes.length === this.lists.sizes.length) return this.lists;
    const M = this.M;
    // The head: one 16-byte table per sub-quantizer, then a page for the kernel's scratch and candidates.
    const reserved = Math.ceil((16 * evenM(M)) / 64) * 64 + PAGE;
    let total = 0;
    for (let l = 0; l < sizes.length; l++) total += packedBlockBytes(sizes[l], M);
    const arena = reserved + total <= MAX_ARENA ? { memory: new WebAssembly.Memory({ initial: Math.ceil((reserved + total) / PAGE) }), reserved } : undefined;
    let at = reserved;
    const blocks = codes.map((c, l) => {
      if (sizes[l] === 0) return NO_BLOCKS;
      const bytes = packedBlockBytes(sizes[l], M);
      // A fresh memory is zeroed, as packBlocks needs.
      const out = arena ? new Uint8Array(arena.memory.buffer, at, bytes) : new Uint8Array(bytes);
      at += bytes;
      return packBlocks(c, sizes[l], M, out);
    });
    this.lists = { sizes: sizes.slice(), blocks, ...(arena ? { arena } : {}) };
    this.version = version;
    return this.lists;
  }

  memoryBytes(): number {
    return this.lists.arena ? this.lists.arena.memory.buffer.byteLength : this.lists.blocks.reduce((b, x) => b + x.byteLength, 0);
  }
}
