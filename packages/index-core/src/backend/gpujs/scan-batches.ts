import type { ListView, Probes } from '../types.js';
import { MAX_ELEMENTS } from './limits.js';

/**
 * IVF scans as gpu.js kernel calls. The probed lists are ragged (each query its own lists, each list its
 * own length), so a batch flattens them: the lists a batch probes are gathered once each into one block
 * (`data`, deduplicated across the batch's queries), and every (probe slot, row) pair becomes one kernel
 * thread, told by `rowOf` which gathered row to score and by `slotOf` which slot (query, bias, list) it
 * serves. Lists longer than one piece are split into pieces, so one slot always fits in a batch.
 */
export interface ScanBatch {
  /** Queries of the batch: q0..q1-1 (its first slot may continue a query an earlier batch started). */
  q0: number;
  q1: number;
  /** Kernel threads (one per slot row) and the first `entries` cells of rowOf / slotOf. */
  entries: number;
  rowOf: Float32Array;
  slotOf: Float32Array;
  /** Per slot, for the kernel: query relative to q0, additive bias, index of its list in `lists`. */
  slots: number;
  slotQuery: Float32Array;
  slotBias: Float32Array;
  slotListIndex: Float32Array;
  /** Per slot, for the js side: absolute query, list, first row of the piece, rows, first entry. */
  slotQ: Int32Array;
  slotList: Int32Array;
  slotRow0: Int32Array;
  slotRows: Int32Array;
  slotEntry0: Int32Array;
  /** Gathered rows, rowBytes each (codes, or float32 vectors as bytes). */
  data: Uint8Array;
  dataRows: number;
  /** Distinct lists of the batch in first-use order (their per-list terms are gathered in this order). */
  lists: Int32Array;
  nLists: number;
}

export interface ScanShape {
  /** Bytes per stored row (lists.codes element size): M for PQ codes, 4·d for raw vectors. */
  rowBytes: number;
  /** Kernel array elements per row (M codes, or d floats): bounds the gathered block below 2^24 elements. */
  rowElements: number;
  /** Kernel array elements per query (its M·ksub table or its d-vector). */
  queryElements: number;
  /** Kernel array elements per list term (M·ksub), or 0 when the scan has none. */
  listElements: number;
}

/** Rows the probes touch in all: the scan's work is this times the per-row cost. */
export function probedRows(lists: ListView, probes: Probes, nq: number): number {
  let n = 0;
  for (let i = 0; i < nq * probes.nprobe; i++) {
    const l = probes.lists[i];
    if (l >= 0) n += lists.sizes[l];
  }
  return n;
}

/** Slots the probes make: one per piece of each probed list. */
function probedSlots(lists: ListView, probes: Probes, nq: number, piece: number): number {
  let n = 0;
  for (let i = 0; i < nq * probes.nprobe; i++) {
    const l = probes.lists[i];
    if (l >= 0) n += Math.ceil(lists.sizes[l] / piece);
  }
  return n;
}

/** Calls `run` once per batch, slots in query-major order (queries ascending, then probes, then pieces). */
export function forEachScanBatch(
  lists: ListView,
  probes: Probes,
  nq: number,
  shape: ScanShape,
  maxOutput: number,
  run: (b: ScanBatch) => void,
): void {
  const { nprobe } = probes;
  const piece = Math.max(1, Math.floor(Math.min(MAX_ELEMENTS / shape.rowElements, maxOutput)));
  const total = probedRows(lists, probes, nq);
  const entryCap = Math.max(1, Math.min(maxOutput, total));
  const dataCap = Math.floor(MAX_ELEMENTS / shape.rowElements);
  const queryCap = Math.max(1, Math.floor(MAX_ELEMENTS / shape.queryElements));
  const listCap = shape.listElements > 0 ? Math.max(1, Math.floor(MAX_ELEMENTS / shape.listElements)) : Infinity;
  const maxSlots = Math.max(1, Math.min(entryCap, probedSlots(lists, probes, nq, piece)));
  const b: ScanBatch = {
    q0: 0,
    q1: 0,
    entries: 0,
    rowOf: new Float32Array(entryCap),
    slotOf: new Float32Array(entryCap),
    slots: 0,
    slotQuery: new Float32Array(maxSlots),
    slotBias: new Float32Array(maxSlots),
    slotListIndex: new Float32Array(maxSlots),
    slotQ: new Int32Array(maxSlots),
    slotList: new Int32Array(maxSlots),
    slotRow0: new Int32Array(maxSlots),
    slotRows: new Int32Array(maxSlots),
    slotEntry0: new Int32Array(maxSlots),
    data: new Uint8Array(Math.min(dataCap, total) * shape.rowBytes),
    dataRows: 0,
    lists: new Int32Array(Math.min(listCap, maxSlots)),
    nLists: 0,
  };
  /** Row in `data` of each gathered piece (key: list, first row) and index in `lists` of each list. */
  const pieceAt = new Map<number, number>();
  const listAt = new Map<number, number>();
  const flush = (): void => {
    if (b.slots > 0) run(b);
    b.entries = 0;
    b.slots = 0;
    b.dataRows = 0;
    b.nLists = 0;
    pieceAt.clear();
    listAt.clear();
  };

  for (let q = 0; q < nq; q++) {
    for (let p = 0; p < nprobe; p++) {
      const l = probes.lists[q * nprobe + p];
      if (l < 0) continue;
      const size = lists.sizes[l];
      for (let r0 = 0; r0 < size; r0 += piece) {
        const rows = Math.min(piece, size - r0);
        const key = l + lists.sizes.length * (r0 / piece);
        const newPiece = !pieceAt.has(key);
        const newList = shape.listElements > 0 && !listAt.has(l);
        const full =
          b.slots === b.slotQ.length ||
          b.entries + rows > entryCap ||
          (newPiece && b.dataRows + rows > dataCap) ||
          (newList && b.nLists === b.lists.length) ||
          (b.slots > 0 && q - b.q0 + 1 > queryCap);
        if (full) flush();
        if (b.slots === 0) b.q0 = q;
        b.q1 = q + 1;
        let at = pieceAt.get(key);
        if (at === undefined) {
          at = b.dataRows;
          const src = lists.codes[l];
          b.data.set(src.subarray(r0 * shape.rowBytes, (r0 + rows) * shape.rowBytes), at * shape.rowBytes);
          b.dataRows += rows;
          pieceAt.set(key, at);
        }
        let li = 0;
        if (shape.listElements > 0) {
          let known = listAt.get(l);
          if (known === undefined) {
            known = b.nLists++;
            b.lists[known] = l;
            listAt.set(l, known);
          }
          li = known;
        }
        const s = b.slots++;
        b.slotQuery[s] = q - b.q0;
        b.slotBias[s] = probes.bias[q * nprobe + p];
        b.slotListIndex[s] = li;
        b.slotQ[s] = q;
        b.slotList[s] = l;
        b.slotRow0[s] = r0;
        b.slotRows[s] = rows;
        b.slotEntry0[s] = b.entries;
        for (let r = 0; r < rows; r++) {
          b.rowOf[b.entries] = at + r;
          b.slotOf[b.entries++] = s;
        }
      }
    }
  }
  flush();
}
