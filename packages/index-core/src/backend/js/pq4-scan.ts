import type { Metric } from '../../metric.js';
import type { PackedLists, Pq4Probes, Pq4Result } from '../types.js';
import { frontOr } from '../../scratch-arrays.js';
import { ProbedSlots, longestProbed } from './probed-slots.js';
import { pq4Scanner } from './wasm/pq4-scanner.js';

let keptSlots = new Float64Array(0);

/**
 * 4-bit fast-scan over packed lists: per query, the top k of bias + Σ_m lut[m][code_m] (uint16 sums of uint8
 * tables) over the codes of its probed lists, on the WebAssembly SIMD kernel; ties keep the earlier code (probe
 * order, then position in the list).
 */
export function pq4Scan(luts: Uint8Array, lists: PackedLists, probes: Pq4Probes, M2: number, k: number, metric: Metric, into?: Pq4Result): Pq4Result {
  const lutSize = 16 * M2;
  const { nprobe, lutPerProbe } = probes;
  const nq = luts.length / (lutSize * (lutPerProbe ? nprobe : 1));
  const scanner = pq4Scanner(M2, metric === 'ip', lists.arena);
  const newI32 = (n: number) => new Int32Array(n);
  const scores = frontOr(into?.scores, nq * k, newI32);
  const outLists = frontOr(into?.lists, nq * k, newI32);
  const offsets = frontOr(into?.offsets, nq * k, newI32);
  const slots = new ProbedSlots(nprobe);
  // One query's slots at a time (the scanner's are kept until the next query).
  if (keptSlots.length < k) keptSlots = new Float64Array(k);
  const kept = keptSlots;
  for (let q = 0; q < nq; q++) {
    scanner.begin(k);
    slots.reset(longestProbed(lists.sizes, probes.lists, q * nprobe, nprobe));
    if (!lutPerProbe) scanner.setLut(luts, q * lutSize);
    for (let p = 0; p < nprobe; p++) {
      const qp = q * nprobe + p;
      const l = probes.lists[qp];
      if (l < 0 || lists.sizes[l] === 0) continue;
      if (lutPerProbe) scanner.setLut(luts, qp * lutSize);
      scanner.scan(lists.blocks[l], lists.sizes[l], probes.bias === null ? 0 : probes.bias[qp], slots.add(l, lists.sizes[l]));
    }
    scanner.drainInto(scores, kept, q * k, 0);
    for (let j = 0; j < k; j++) {
      const o = q * k + j;
      const slot = kept[j];
      const i = slot < 0 ? -1 : slots.find(slot);
      outLists[o] = i < 0 ? -1 : slots.listAt(i);
      offsets[o] = i < 0 ? -1 : slot - slots.firstSlotAt(i);
    }
  }
  return { scores, lists: outLists, offsets };
}
