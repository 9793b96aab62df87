import { LibvqError } from '../../errors.js';

/**
 * One query's probed lists numbered as one running sequence of slots (the lists in probe order, one after the
 * other), as the scan kernels label their candidates; a slot kept at the end is mapped back to its list and
 * position by a binary search over the lists' first slots (at most nprobe of them).
 */
export class ProbedSlots {
  private readonly lists: Int32Array;
  private readonly first: Float64Array;
  private used = 0;
  private next = 0;

  constructor(nprobe: number) {
    this.lists = new Int32Array(nprobe);
    this.first = new Float64Array(nprobe);
  }

  /** Starts a query. */
  reset(): void {
    this.used = 0;
    this.next = 0;
  }

  /** Appends list `list` of n entries; returns the slot of its first entry. */
  add(list: number, n: number): number {
    const at = this.next;
    if (at + n > SLOT_LIMIT) throw new LibvqError('UNSUPPORTED', `a query's probed lists hold more than ${SLOT_LIMIT} entries (the scan kernels label them with int32 slots)`);
    this.lists[this.used] = list;
    this.first[this.used++] = at;
    this.next = at + n;
    return at;
  }

  /** Which of the added lists holds `slot` (its index in add order; listAt / firstSlotAt read it). */
  find(slot: number): number {
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

  listAt(i: number): number {
    return this.lists[i];
  }

  firstSlotAt(i: number): number {
    return this.first[i];
  }
}

/** Slots are the kernels' int32 labels. */
const SLOT_LIMIT = 2 ** 31 - 1;
