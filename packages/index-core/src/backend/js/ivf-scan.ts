import type { Matrix } from '../../matrix.js';
import type { Metric } from '../../metric.js';
import { TopK } from '../../topk.js';
import type { KnnResult, ListView, Probes } from '../types.js';
import { frontOr } from '../../scratch-arrays.js';
import { ProbedSlots, longestProbed } from './probed-slots.js';
import { adcScanner } from './wasm/adc-scanner.js';

/**
 * PQ search over inverted lists: per query, the probed lists' codes are scanned into one reservoir (the kernel
 * labels them by a running slot: the lists in probe order, one after the other), and the slots kept at the end are
 * mapped back to the lists' ids.
 */
export function ivfAdcScan(
  tables: Float32Array,
  lists: ListView,
  probes: Probes,
  M: number,
  ksub: number,
  k: number,
  metric: Metric,
  listTables?: (list: number) => Float32Array,
  into?: KnnResult,
): KnnResult {
  const tsize = M * ksub;
  const nq = tables.length / tsize;
  const scanner = adcScanner(M, ksub, metric === 'ip', lists.arena);
  const distances = frontOr(into?.distances, nq * k, (n) => new Float32Array(n));
  const labels = frontOr(into?.labels, nq * k, (n) => new Float64Array(n));
  const { nprobe } = probes;
  const slots = new ProbedSlots(nprobe);
  const { flatIds } = lists;
  const idOf = flatIds ? (slot: number): number => slots.flatIdOf(slot, flatIds) : (slot: number): number => slots.idOf(slot, lists.ids);
  for (let q = 0; q < nq; q++) {
    const table = tables.subarray(q * tsize, (q + 1) * tsize);
    scanner.begin(k, idOf);
    if (!listTables) scanner.table.set(table);
    slots.reset(longestProbed(lists.sizes, probes.lists, q * nprobe, nprobe));
    for (let p = 0; p < nprobe; p++) {
      const l = probes.lists[q * nprobe + p];
      if (l < 0) continue;
      const n = lists.sizes[l];
      if (n === 0) continue;
      if (listTables) {
        // l2 with residuals: the list's own term is added into the scanner's table in place.
        const lt = listTables(l);
        const t = scanner.table;
        for (let j = 0; j < tsize; j++) t[j] = table[j] + lt[j];
      }
      scanner.scan(lists.codes[l], n, probes.bias[q * nprobe + p], slots.add(l, n));
    }
    scanner.drainInto(distances, labels, q * k);
  }
  return { distances, labels };
}

export function ivfFlatScan(q: Matrix, lists: ListView, probes: Probes, k: number, metric: Metric): KnnResult {
  const d = q.dim;
  const heap = new TopK(k, metric);
  const distances = new Float32Array(q.rows * k);
  const labels = new Float64Array(q.rows * k);
  const hib = metric === 'ip';
  const { nprobe } = probes;
  for (let i = 0; i < q.rows; i++) {
    const qo = i * d;
    const qd = q.data;
    for (let p = 0; p < nprobe; p++) {
      const l = probes.lists[i * nprobe + p];
      if (l < 0) continue;
      const n = lists.sizes[l];
      const vec = new Float32Array(lists.codes[l].buffer, lists.codes[l].byteOffset, n * d);
      const ids = lists.ids[l];
      let thr = heap.threshold();
      for (let r = 0; r < n; r++) {
        const vo = r * d;
        let s = 0;
        if (hib) {
          for (let t = 0; t < d; t++) s += qd[qo + t] * vec[vo + t];
        } else {
          for (let t = 0; t < d; t++) {
            const diff = qd[qo + t] - vec[vo + t];
            s += diff * diff;
          }
        }
        if (hib ? s > thr : s < thr) {
          heap.push(s, ids[r]);
          thr = heap.threshold();
        }
      }
    }
    heap.drainInto(distances, labels, i * k);
  }
  return { distances, labels };
}
