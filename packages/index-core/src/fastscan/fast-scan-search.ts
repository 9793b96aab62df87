import type { Backend, PackedLists, Probes } from '../backend/types.js';
import type { SearchOutput } from '../indexes/index.js';
import type { Metric } from '../metric.js';
import { TopK } from '../topk.js';
import { evenM } from './pack-blocks.js';
import { threadScratch as scratch } from '../scratch-arrays.js';

const f = Math.fround;
const KSUB = 16;
/**
 * Queries per batch (their uint8 tables and candidates live in the thread's scratch). Large, because the scan groups
 * a batch's queries by the lists they probe and scans each list once for all of them (pq4-scan.ts): GloVe
 * IVF1024,PQ50x4fsr, 1,000 queries, batches of 1,024 took ~0.9 / 0.87 / 0.8× the time of batches of 64 at nprobe
 * 8 / 16 / 32 (512 with a 2 MB score area: 0.99 / 1.04 / 1.07× the time of 1,024 with 4 MB).
 */
const BATCH = 1024;
/** Float table entries per batch at most: bounds the per-list tables of l2 (nprobe · M · 16 floats per query). */
const TABLE_BUDGET = 1 << 20;
/**
 * Queries whose float tables are made and quantized at a time when nothing re-ranks (kFactor = 1): a batch's uint8
 * tables are a quarter of its float tables, and two threads holding 1,024 queries' float tables (3.2 MB each at
 * PQ50) put the peak RSS past faiss's by 1.25×.
 */
const LUT_CHUNK = 64;

/** What a fast-scan index hands the search: its codes in both layouts and how to get float tables. */
export interface FastScanSource {
  readonly M: number;
  readonly metric: Metric;
  readonly backend: Backend;
  /** The codes in faiss's block layout, per list (a flat index is one list). */
  readonly packed: PackedLists;
  /** Entry `offset` of list `list` one byte per sub-quantizer, into out[0 .. M) (re-ranking reads them). */
  readCode(list: number, offset: number, out: Uint8Array): void;
  /** Probed lists and their float coarse terms (null: a flat index, list 0 for every query). */
  readonly probes: Probes | null;
  /** Whether a probed list's coarse term (probes.bias) adds to its codes' scores (IVF with residuals). */
  readonly coarseBias: boolean;
  /** true: one table per (query, probe), l2 with residuals. */
  readonly perProbe: boolean;
  /** Float tables of queries [q0, q1): (q1 − q0) × (nprobe or 1) × M × 16, in the thread's scratch. */
  tables(q0: number, q1: number): Float32Array;
  /**
   * The labels reported: entry `offset` of list l is ids[offsets[l] + offset] (InvertedLists.contiguousIds); null: the
   * offset itself (a flat index).
   */
  readonly ids: { ids: Float64Array; offsets: Int32Array } | null;
}

/**
 * faiss's fast-scan search: per query the float tables are quantized to uint8 (quantize-luts.ts), the backend's
 * pq4Scan keeps the k·kFactor best codes by their uint16 sums, and
 *  - kFactor = 1: each is reported with the distance b + s/a its sum stands for (faiss's IndexIVFPQFastScan);
 *  - kFactor > 1: each is re-scored with the float tables — bias + Σ_m table_m[code_m] in float32 in the
 *    order of the 8-bit ADC scan, so it equals a plain PQ search on those codes — and the best k are kept.
 */
export function fastScanSearch(src: FastScanSource, nq: number, k: number, kFactor: number, out?: SearchOutput): { distances: Float32Array; labels: Float64Array } {
  const { M, metric, probes, perProbe } = src;
  const M2 = evenM(M);
  const nprobe = probes ? probes.nprobe : 1;
  const T = perProbe ? nprobe : 1;
  // Every entry below is written (padding included), so the caller's arrays (SearchParams.out) serve as they are.
  const distances = out?.distances ?? new Float32Array(nq * k);
  const labels = out?.labels ?? new Float64Array(nq * k);
  const kc = k * kFactor;
  const batch = Math.max(1, Math.min(BATCH, Math.floor(TABLE_BUDGET / (T * M * KSUB))));
  const probeOf = new Int32Array(src.packed.sizes.length).fill(-1);
  const heap = new TopK(k, metric);
  const code = new Uint8Array(M);
  for (let q0 = 0; q0 < nq; q0 += batch) {
    const q1 = Math.min(nq, q0 + batch);
    const nb = q1 - q0;
    const lists = probes ? probes.lists.subarray(q0 * nprobe, q1 * nprobe) : scratch.i32('flat lists', nb).fill(0);
    const bias = probes && src.coarseBias ? probes.bias.subarray(q0 * nprobe, q1 * nprobe) : null;
    const luts = scratch.u8('luts', nb * T * M2 * KSUB);
    const biasq = bias ? scratch.u16('lut bias', nb * nprobe) : null;
    const a = scratch.f32('a', nb);
    const b = scratch.f32('b', nb);
    // The float tables of the whole batch only when re-ranking reads them; else LUT_CHUNK queries' at a time.
    const chunk = kFactor === 1 ? LUT_CHUNK : nb;
    let tables: Float32Array = new Float32Array(0);
    for (let c0 = 0; c0 < nb; c0 += chunk) {
      const c1 = Math.min(nb, c0 + chunk);
      tables = src.tables(q0 + c0, q0 + c1);
      const into = { luts: luts.subarray(c0 * T * M2 * KSUB), bias: biasq ? biasq.subarray(c0 * nprobe) : null, a: a.subarray(c0), b: b.subarray(c0) };
      src.backend.pq4Luts(tables, c1 - c0, M, M2, bias ? bias.subarray(c0 * nprobe, c1 * nprobe) : null, nprobe, perProbe, into);
    }
    const scanInto = { scores: scratch.i32('scores', nb * kc), lists: scratch.i32('lists', nb * kc), offsets: scratch.i32('offsets', nb * kc) };
    const r = src.backend.pq4Scan(luts, src.packed, { nprobe, lists, bias: biasq, lutPerProbe: perProbe }, M2, kc, metric, scanInto);
    for (let i = 0; i < nb; i++) {
      const o = (q0 + i) * k;
      if (kFactor === 1) {
        const oneA = f(1 / a[i]);
        const bi = b[i];
        for (let j = 0; j < k; j++) {
          const l = r.lists[i * k + j];
          distances[o + j] = l < 0 ? (metric === 'ip' ? -Infinity : Infinity) : f(bi + f(r.scores[i * k + j] * oneA));
        }
        labelsInto(src.ids, r.lists, r.offsets, i * k, k, labels, o);
        continue;
      }
      for (let p = 0; p < nprobe; p++) if (lists[i * nprobe + p] >= 0) probeOf[lists[i * nprobe + p]] = p;
      for (let j = 0; j < kc; j++) {
        const l = r.lists[i * kc + j];
        if (l < 0) break;
        const p = probeOf[l];
        const t = (perProbe ? i * nprobe + p : i) * M * KSUB;
        src.readCode(l, r.offsets[i * kc + j], code);
        let s = bias ? bias[i * nprobe + p] : 0;
        for (let m = 0; m < M; m++) s = f(s + tables[t + m * KSUB + code[m]]);
        heap.push(s, labelOf(src.ids, l, r.offsets[i * kc + j]));
      }
      for (let p = 0; p < nprobe; p++) if (lists[i * nprobe + p] >= 0) probeOf[lists[i * nprobe + p]] = -1;
      heap.drainInto(distances, labels, o);
    }
  }
  return { distances, labels };
}

function labelOf(ids: FastScanSource['ids'], list: number, offset: number): number {
  return ids === null ? offset : ids.ids[ids.offsets[list] + offset];
}

/**
 * labels[at + j] = the label of entry offsets[from + j] of list lists[from + j] (−1 for list −1), j < n. The ids are
 * read in a loop of their own after their positions: each is likely a cache miss (the scan read codes, not ids),
 * and a loop of nothing but independent loads keeps many in flight (read one by one among the distances' arithmetic,
 * they were ~7 µs of a ~40 µs GloVe query at nprobe 8).
 */
function labelsInto(ids: FastScanSource['ids'], lists: Int32Array, offsets: Int32Array, from: number, n: number, labels: Float64Array, at: number): void {
  if (ids === null) {
    for (let j = 0; j < n; j++) labels[at + j] = lists[from + j] < 0 ? -1 : offsets[from + j];
    return;
  }
  const pos = positions.length >= n ? positions : (positions = new Int32Array(n));
  for (let j = 0; j < n; j++) {
    const l = lists[from + j];
    pos[j] = l < 0 ? -1 : ids.offsets[l] + offsets[from + j];
  }
  const all = ids.ids;
  for (let j = 0; j < n; j++) labels[at + j] = pos[j] < 0 ? -1 : all[pos[j]];
}

let positions = new Int32Array(0);
