import { LibvqError } from '../../errors.js';

/**
 * One query's probed lists numbered as one increasing sequence of slots (the lists in probe order, one after the
 * other), as the scan kernels label their candidates; ties among candidates keep the smaller slot, so the order
 * is part of the results. When the query's longest list (rounded up to whole blocks of 32) fits 2^bits positions
 * and nprobe · 2^bits slots fit an int32, the i-th list added starts at slot i · 2^bits and a slot maps back to
 * its list by a shift (a binary search over the lists' first slots, per result kept, was 3% of a fast-scan query);
 * otherwise the lists follow each other and a binary search (at most nprobe lists) maps slots back.
 */
export class ProbedSlots {
  private readonly lists: Int32Array;
  private readonly first: Float64Array;
  private used = 0;
  private next = 0;
  /** ≥ 0: list i starts at slot i · 2^bits; −1: lists are back to back. */
  private bits = -1;

  constructor(nprobe: number) {
    this.lists = new Int32Array(nprobe);
    this.first = new Float64Array(nprobe);
  }

  /** Starts a query whose probed lists hold at most `longest` entries each. */
  reset(longest: number): void {
    this.used = 0;
    this.next = 0;
    // Positions up to the padding of a list's last block of 32 (the fast-scan kernel labels it too, then drops it).
    const bits = 32 - Math.clz32(Math.max(32, Math.ceil(longest / 32) * 32) - 1);
    this.bits = this.lists.length * 2 ** bits <= SLOT_LIMIT + 1 ? bits : -1;
  }

  /** Appends list `list` of n entries (at most reset's `longest`); returns the slot of its first entry. */
  add(list: number, n: number): number {
    const at = this.bits >= 0 ? this.used * 2 ** this.bits : this.next;
    if (this.bits < 0) {
      if (at + n > SLOT_LIMIT) throw new LibvqError('UNSUPPORTED', `a query's probed lists hold more than ${SLOT_LIMIT} entries (the scan kernels label them with int32 slots)`);
      this.next = at + n;
    }
    this.lists[this.used] = list;
    this.first[this.used++] = at;
    return at;
  }

  /** Which of the added lists holds `slot` (its index in add order; listAt / firstSlotAt read it). */
  find(slot: number): number {
    if (this.bits >= 0) return slot >>> this.bits;
    let lo = 0;
    let hi = this.used - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.first[mid] <= slot) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The id of `slot` when list l's ids are ids[l]. */
  idOf(slot: number, ids: readonly Float64Array[]): number {
    const i = this.find(slot);
    return ids[this.lists[i]][slot - this.first[i]];
  }

  /** The id of `slot` when the lists' ids lie back to back, list l's from offsets[l] (InvertedLists.contiguousIds). */
  flatIdOf(slot: number, packed: { readonly ids: Float64Array; readonly offsets: Int32Array }): number {
    const i = this.find(slot);
    return packed.ids[packed.offsets[this.lists[i]] + (slot - this.first[i])];
  }

  listAt(i: number): number {
    return this.lists[i];
  }

  firstSlotAt(i: number): number {
    return this.first[i];
  }
}

/** The most entries of any list probed at probes[from .. from + nprobe) (−1: none probed). */
export function longestProbed(sizes: Int32Array, probes: Int32Array, from: number, nprobe: number): number {
  let longest = 0;
  for (let p = from; p < from + nprobe; p++) if (probes[p] >= 0 && sizes[probes[p]] > longest) longest = sizes[probes[p]];
  return longest;
}

/** Slots are the kernels' int32 labels. */
const SLOT_LIMIT = 2 ** 31 - 1;
