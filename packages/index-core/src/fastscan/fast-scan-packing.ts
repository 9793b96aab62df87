import type { PackedLists } from '../backend/types.js';
import { packBlocks } from './pack-blocks.js';

const NO_BLOCKS = new Uint8Array(0);

/**
 * The block layout of a fast-scan index's lists, rebuilt from the one-byte codes when their version changes
 * (an add, a remove, a load): the scan reads these, everything else the one-byte codes. Packing costs one
 * pass over the codes, far less than one search batch over them.
 */
export class FastScanPacking {
  private version = -1;
  private lists: PackedLists = { sizes: new Int32Array(0), blocks: [] };

  constructor(readonly M: number) {}

  of(version: number, sizes: Int32Array, codes: readonly Uint8Array[]): PackedLists {
    if (version !== this.version || sizes.length !== this.lists.sizes.length) {
      const blocks = codes.map((c, l) => (sizes[l] === 0 ? NO_BLOCKS : packBlocks(c, sizes[l], this.M)));
      this.lists = { sizes: sizes.slice(), blocks };
      this.version = version;
    }
    return this.lists;
  }

  memoryBytes(): number {
    let b = 0;
    for (const x of this.lists.blocks) b += x.byteLength;
    return b;
  }
}
