import type { PackedLists } from '../backend/types.js';
import { newArena } from './new-arena.js';
import { packBlocks, packedBlockBytes } from './pack-blocks.js';

const NO_BLOCKS = new Uint8Array(0);

/**
 * The block layout of a flat fast-scan index's codes (IndexPQFastScan keeps one byte per sub-quantizer, as
 * IndexPQ does), rebuilt when their version changes (an add, a remove, a load): the scan reads these, everything
 * else the one-byte codes. Packing costs one pass over the codes, far less than one search batch over them. The
 * lists go into one arena (fastscan/arena.ts), so the js backend's kernel scans them in place.
 */
export class FastScanPacking {
  private version = -1;
  private lists: PackedLists = { sizes: new Int32Array(0), blocks: [] };

  constructor(readonly M: number) {}

  of(version: number, sizes: Int32Array, codes: readonly Uint8Array[]): PackedLists {
    if (version === this.version && sizes.length === this.lists.sizes.length) return this.lists;
    const M = this.M;
    let total = 0;
    for (let l = 0; l < sizes.length; l++) total += packedBlockBytes(sizes[l], M);
    const memory = newArena(total);
    let at = 0;
    const blocks = codes.map((c, l) => {
      if (sizes[l] === 0) return NO_BLOCKS;
      const bytes = packedBlockBytes(sizes[l], M);
      // A fresh memory is zeroed, as packBlocks needs.
      const out = memory ? new Uint8Array(memory.buffer, at, bytes) : new Uint8Array(bytes);
      at += bytes;
      return packBlocks(c, sizes[l], M, out);
    });
    this.lists = { sizes: sizes.slice(), blocks, ...(memory ? { arena: { memory } } : {}) };
    this.version = version;
    return this.lists;
  }

  memoryBytes(): number {
    return this.lists.blocks.reduce((b, x) => b + x.byteLength, 0);
  }
}
