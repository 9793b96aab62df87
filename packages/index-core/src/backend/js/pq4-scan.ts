import type { Metric } from '../../metric.js';
import { Reservoir } from './reservoir.js';
import type { PackedLists, Pq4Probes, Pq4Result } from '../types.js';
import { handleList, handleOffset, pq4Scanner } from './wasm/pq4-scanner.js';

/**
 * 4-bit fast-scan over packed lists: per query, the top k of bias + Σ_m lut[m][code_m] (uint16 sums of uint8
 * tables) over the codes of its probed lists, on the WebAssembly SIMD kernel.
 */
export function pq4Scan(luts: Uint8Array, lists: PackedLists, probes: Pq4Probes, M2: number, k: number, metric: Metric): Pq4Result {
  const lutSize = 16 * M2;
  const { nprobe, lutPerProbe } = probes;
  const nq = luts.length / (lutSize * (lutPerProbe ? nprobe : 1));
  const heap = new Reservoir(k, metric === 'ip');
  const scanner = pq4Scanner(M2, heap.higherIsBetter, lists.arena);
  const scores = new Int32Array(nq * k);
  const outLists = new Int32Array(nq * k);
  const offsets = new Int32Array(nq * k);
  const s = new Int32Array(k);
  const h = new Float64Array(k);
  for (let q = 0; q < nq; q++) {
    if (!lutPerProbe) scanner.setLut(luts, q * lutSize);
    for (let p = 0; p < nprobe; p++) {
      const qp = q * nprobe + p;
      const l = probes.lists[qp];
      if (l < 0 || lists.sizes[l] === 0) continue;
      if (lutPerProbe) scanner.setLut(luts, qp * lutSize);
      scanner.scan(lists.blocks[l], lists.sizes[l], probes.bias === null ? 0 : probes.bias[qp], l, heap);
    }
    heap.drainInto(s, h, 0);
    for (let j = 0; j < k; j++) {
      const o = q * k + j;
      if (h[j] < 0) {
        scores[o] = 0;
        outLists[o] = offsets[o] = -1;
      } else {
        scores[o] = s[j];
        outLists[o] = handleList(h[j]);
        offsets[o] = handleOffset(h[j]);
      }
    }
  }
  return { scores, lists: outLists, offsets };
}
