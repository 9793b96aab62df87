import { LibvqError } from '../errors.js';
import { sharedCopy } from '../parallel/shared.js';
import { checkedIds, idsFrom } from './checks.js';
import type { Ids } from './index.js';
import type { SearchResult } from './search-result.js';

/**
 * The ids of an index that stores its entries in one sequence (Flat, PQ): faiss's IndexIDMap folded into the index.
 * Until custom ids are given or an entry is removed, entry i has id i and nothing is stored; afterwards every entry's
 * id is kept (8 bytes each), so ids stay what the user gave, across removals too. Searches run on positions; the
 * labels are mapped to ids on the way out.
 */
export class IdMap {
  /** null: entry i has id i. */
  private ids: Float64Array | null = null;
  private n = 0;
  private byId: Map<number, number> | null = null;

  /** Whether every entry's id equals its position (nothing to map; files need no IDMap wrapper). */
  get sequential(): boolean {
    return this.ids === null;
  }

  /** Records the ids of n appended entries: `given` (already checked), else their positions. */
  append(n: number, given?: Float64Array): void {
    if (given !== undefined && this.ids === null) {
      let same = true;
      for (let i = 0; i < n && same; i++) same = given[i] === this.n + i;
      if (!same) this.ids = this.positions(this.n);
    }
    if (this.ids !== null) {
      const next = new Float64Array(this.n + n);
      next.set(this.ids.subarray(0, this.n));
      for (let i = 0; i < n; i++) next[this.n + i] = given === undefined ? this.n + i : given[i];
      this.ids = next;
    }
    this.n += n;
    this.byId = null;
  }

  /** Every entry's id, in storage order. */
  all(): Float64Array {
    return this.ids === null ? this.positions(this.n) : this.ids.slice(0, this.n);
  }

  /** The storage position of an id (throws naming `what` when absent). */
  positionOf(id: number, what: string): number {
    if (this.ids === null) {
      if (id < this.n) return id;
    } else {
      if (this.byId === null) {
        this.byId = new Map();
        for (let i = 0; i < this.n; i++) this.byId.set(this.ids[i], i);
      }
      const at = this.byId.get(id);
      if (at !== undefined) return at;
    }
    throw new LibvqError('INVALID_ARGUMENT', `${what}: id ${id} is not in the index (ntotal = ${this.n})`);
  }

  /** Positions → ids in a result (padding -1 stays). */
  mapLabels(r: SearchResult): SearchResult {
    const ids = this.ids;
    if (ids === null) return r;
    const labels = r.labels;
    for (let j = 0; j < labels.length; j++) if (labels[j] >= 0) labels[j] = ids[labels[j]];
    return r;
  }

  /** Which positions hold one of `ids` (1 = remove); the count. */
  removalMask(ids: Float64Array): { remove: Uint8Array; count: number } {
    const drop = new Set<number>(ids);
    const remove = new Uint8Array(this.n);
    let count = 0;
    for (let i = 0; i < this.n; i++) {
      if (drop.has(this.ids === null ? i : this.ids[i])) {
        remove[i] = 1;
        count++;
      }
    }
    return { remove, count };
  }

  /** Drops the masked positions; the remaining entries keep their ids (they are stored from now on). */
  compact(remove: Uint8Array): void {
    const ids = this.ids ?? this.positions(this.n);
    let w = 0;
    for (let i = 0; i < this.n; i++) if (!remove[i]) ids[w++] = ids[i];
    this.ids = ids.slice(0, w);
    this.n = w;
    this.byId = null;
  }

  /** Sets the ids of a loaded index (a faiss IndexIDMap's id_map). */
  adopt(ids: Float64Array): void {
    this.reset();
    this.append(ids.length, ids);
  }

  reset(): void {
    this.ids = null;
    this.n = 0;
    this.byId = null;
  }

  memoryBytes(): number {
    return this.ids?.byteLength ?? 0;
  }

  private positions(n: number): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return out;
  }
}

/**
 * `remove(ids)` of an index storing one row per entry (Flat's vectors, PQ's codes) in `rows` (its ntotal rows):
 * the kept rows in a new shared buffer (a search running on the workers may still read the old one) and the ids
 * updated; null when none of the ids is stored.
 */
export function removeStoredRows<T extends Uint8Array | Float32Array>(idMap: IdMap, rows: T, rowSize: number, ids: Ids, what: string): { rows: T; count: number } | null {
  const { remove, count } = idMap.removalMask(idsFrom(checkedIds(ids, what), 0, ids.length));
  if (count === 0) return null;
  const copy = sharedCopy(rows);
  const kept = compactRows(copy, rowSize, rows.length / rowSize, remove);
  idMap.compact(remove);
  return { rows: copy.subarray(0, kept * rowSize) as T, count };
}

/** Keeps the rows of a row-major buffer whose mask entry is 0, in order (in place); returns the rows kept. */
export function compactRows<T extends Uint8Array | Float32Array>(data: T, rowSize: number, rows: number, remove: Uint8Array): number {
  let w = 0;
  for (let i = 0; i < rows; i++) {
    if (remove[i]) continue;
    if (w !== i) data.copyWithin(w * rowSize, i * rowSize, (i + 1) * rowSize);
    w++;
  }
  return w;
}
