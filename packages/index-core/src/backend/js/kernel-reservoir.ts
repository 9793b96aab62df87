/// <reference path="./wasm/webassembly.d.ts" />
import { compiledKernel, isSharedMemory } from './wasm/bytes.js';
import { selectModuleBytes } from './wasm/select-module.js';

/** Slots that are the ids themselves (a flat index). */
export const slotIsId = (slot: number): number => slot;

/**
 * One query's top k, kept in the memory the 8-bit ADC scan kernel writes to (faiss's ReservoirHandler). The kernel
 * appends every code that reaches the bound as an (i32 slot, f32 score) pair; when the window fills, the caller
 * compacts: a quickselect (a WebAssembly kernel, select-module.ts) moves the k best to the front, and the k-th best
 * score becomes the bound. JavaScript reads candidates only at the end of a query (and for rare ties at the bound), where
 * pushing each into a binary heap (630 per query at nprobe 8 on GloVe, k = 100) cost as much as a third of the
 * 8-bit scan. (Fast-scan's uint16 sums take another way: every score is stored, then selected; pq4-scanner.ts.)
 *
 * The result is exactly the k best by (score, then smaller idOf(slot)): ties at the k-th score go to the smaller
 * ids, so it depends on nothing but the scores and ids (not on compaction times). The scan maps slots to the
 * index's ids and admits ties with the bound.
 */
export class KernelReservoir {
  /** Entries: slot (i32) at [2e], score (f32) at [2e + 1]; all views over the same bytes. */
  private slots!: Int32Array;
  private scores!: Float32Array;
  /**
   * The same entries as one float64 each, to move an entry in one load and store (the tie path). Bit-exact: a copy
   * changes a float64 only if it is a NaN, and the high word (the score) would need an all-ones exponent to make
   * one: the scores are finite.
   */
  private entries!: Float64Array;
  private capacity = 0;
  private ptr = 0;
  private memory: WebAssembly.Memory | null = null;
  /** The compaction's quickselect, on the kernel's memory (select-module.ts). */
  private selectFn: (ptr: number, n: number, r: number) => number = () => 0;
  private keys = new Float64Array(0);
  private ids = new Float64Array(0);
  /** Entry numbers best first (bestFirst). */
  private order = new Int32Array(0);
  /** Entries held. */
  count = 0;
  /** The score a code must reach to be kept (±∞ until the first compaction). */
  bound = 0;
  /** Entries the scan may fill before a compaction: a few times k, so the bound rises early. */
  window = 0;
  private k = 1;

  constructor(readonly higherIsBetter: boolean) {}

  /** Points the reservoir at `capacity` entries at byte `ptr` of `memory` (again after the memory grows). */
  attach(memory: WebAssembly.Memory, ptr: number, capacity: number): void {
    if (memory !== this.memory) {
      const shared = isSharedMemory(memory);
      const key = `select:${this.higherIsBetter}:${shared}`;
      const instance = new WebAssembly.Instance(compiledKernel(key, () => selectModuleBytes(this.higherIsBetter, shared)), { env: { memory } });
      this.selectFn = instance.exports.select as KernelReservoir['selectFn'];
      this.memory = memory;
    }
    const { buffer } = memory;
    this.ptr = ptr;
    this.slots = new Int32Array(buffer, ptr, 2 * capacity);
    this.scores = new Float32Array(buffer, ptr, 2 * capacity);
    this.entries = new Float64Array(buffer, ptr, capacity);
    this.capacity = capacity;
  }

  /** Entries a reservoir for k needs. */
  static capacityFor(k: number): number {
    return Math.max(4 * k, 256);
  }

  /** Maps slots to the ids reported (and ties at the k-th score are broken by). */
  private idOf: (slot: number) => number = slotIsId;

  /** Starts a query keeping k (the attached capacity must be at least capacityFor(k)). */
  begin(k: number, idOf: (slot: number) => number): void {
    this.k = k;
    this.idOf = idOf;
    this.count = 0;
    this.window = Math.min(this.capacity, KernelReservoir.capacityFor(k));
    this.bound = this.higherIsBetter ? -Infinity : Infinity;
    if (this.keys.length < k) {
      this.keys = new Float64Array(k);
      this.ids = new Float64Array(k);
      this.order = new Int32Array(k);
    }
  }

  /** Room for the scan's next call, compacting first when less than a quarter of the window is left. */
  free(): number {
    if (this.window - this.count < this.window >> 2) this.compact(false);
    return this.window - this.count;
  }

  /**
   * Keeps the k best entries in front and makes the k-th score the bound. With k or fewer entries there is nothing
   * to drop and the bound stays. `exact` (the end of a query): exactly k are kept, ties at the k-th score going to the
   * smaller ids. Otherwise (a compaction during the scan) every entry tied with the k-th stays too, after the k, and
   * the end decides between them: which ids win cannot change by waiting, and sorting the ties out at every
   * compaction (an object per tied entry, a comparison sort) cost ~1.3 µs of a ~50 µs fast-scan query at nprobe 8
   * (GloVe, k = 100: uint16 sums tie at 39% of compactions). Only when the ties would leave less than half the window
   * free are they sorted out then, so the scan always gets room.
   */
  compact(exact: boolean): void {
    const { k, scores } = this;
    const n = this.count;
    if (n <= k) return;
    // The quickselect puts k entries of score ≥ kth (or ≤) in front, ties in any order, and says whether an entry
    // behind ties with the k-th.
    const tieBehind = this.selectFn(this.ptr, n, k - 1);
    const kth = scores[2 * (k - 1) + 1];
    this.bound = kth;
    if (!tieBehind) {
      this.count = k;
      return;
    }
    if (!exact) {
      const kept = this.keepTiesBehind(n, kth);
      if (kept <= this.window >> 1) {
        this.count = kept;
        return;
      }
    }
    this.keepSmallestTiedIds(n, kth);
    this.count = k;
  }

  /** Moves the entries behind the k first that score kth to just after them; returns how many entries that keeps. */
  private keepTiesBehind(n: number, kth: number): number {
    const { k, scores, entries } = this;
    let w = k;
    for (let e = k; e < n; e++) {
      if (scores[2 * e + 1] !== kth) continue;
      const t = entries[w];
      entries[w++] = entries[e];
      entries[e] = t;
    }
    return w;
  }

  /** Rare path: among all entries scoring kth, the smallest ids fill the front's tie positions. */
  private keepSmallestTiedIds(n: number, kth: number): void {
    const { k, scores, slots, entries, idOf } = this;
    const tied: { id: number; entry: number }[] = [];
    for (let e = 0; e < n; e++) if (scores[2 * e + 1] === kth) tied.push({ id: idOf(slots[2 * e]), entry: entries[e] });
    tied.sort((a, b) => a.id - b.id);
    let t = 0;
    for (let e = 0; e < k; e++) if (scores[2 * e + 1] === kth) entries[e] = tied[t++].entry;
  }

  /**
   * Entries 0 .. n best first by score (ties in any order; drainInto orders them by id), sorted as one float64 key
   * each, (order of the score) · 2^20 + entry, natively without a comparison callback: the order of a finite float32
   * is its bit pattern made unsigned-monotonic (< 2^32); entries < 2^20.
   */
  private bestFirst(n: number): Int32Array {
    const { slots, order, keys } = this;
    const hib = this.higherIsBetter;
    for (let e = 0; e < n; e++) {
      const bits = slots[2 * e + 1];
      const ascending = bits >= 0 ? bits + 0x80000000 : ~bits;
      keys[e] = (hib ? 0xffffffff - ascending : ascending) * 2 ** 20 + e;
    }
    const sorted = keys.subarray(0, n).sort();
    for (let j = 0; j < n; j++) {
      const key = sorted[j];
      order[j] = key - Math.floor(key / 2 ** 20) * 2 ** 20;
    }
    return order;
  }

  /**
   * Writes the k best, best first (ties: smaller id first), as scores and ids at out[offset ..], padding with −1
   * ids and ∓∞ scores as faiss does; the reservoir is left empty.
   */
  drainInto(distances: Float32Array, labels: Float64Array, offset: number): void {
    this.compact(true);
    const { k, slots, scores, ids, idOf } = this;
    const n = this.count;
    const hib = this.higherIsBetter;
    const order = this.bestFirst(n);
    for (let j = 0; j < n; j++) {
      const e = order[j];
      distances[offset + j] = scores[2 * e + 1];
      ids[j] = idOf(slots[2 * e]);
    }
    // Equal scores (−0 and 0 included) are adjacent: order each run by id.
    for (let j = 1; j < n; j++) {
      const s = distances[offset + j];
      const id = ids[j];
      let i = j;
      while (i > 0 && distances[offset + i - 1] === s && ids[i - 1] > id) {
        distances[offset + i] = distances[offset + i - 1];
        ids[i] = ids[i - 1];
        i--;
      }
      distances[offset + i] = s;
      ids[i] = id;
    }
    for (let j = 0; j < k; j++) {
      labels[offset + j] = j < n ? ids[j] : -1;
      if (j >= n) distances[offset + j] = hib ? -Infinity : Infinity;
    }
    this.count = 0;
  }
}
