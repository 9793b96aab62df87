import type { Metric } from '../../metric.js';
import type { KnnResult } from '../types.js';
import { slotIsId } from './kernel-reservoir.js';
import { adcScanner } from './wasm/adc-scanner.js';

/**
 * PQ search over one flat block of codes: per query, its table goes into the WebAssembly scanner
 * (the hottest loop of PQ search: M look-ups per code; only codes that reach the reservoir's bound are kept).
 */
export function adcScan(
  tables: Float32Array,
  codes: Uint8Array,
  n: number,
  M: number,
  ksub: number,
  k: number,
  metric: Metric,
): KnnResult {
  const tsize = M * ksub;
  const nq = tables.length / tsize;
  const scanner = adcScanner(M, ksub, metric === 'ip');
  const distances = new Float32Array(nq * k);
  const labels = new Float64Array(nq * k);
  for (let q = 0; q < nq; q++) {
    scanner.begin(k, slotIsId);
    scanner.table.set(tables.subarray(q * tsize, (q + 1) * tsize));
    scanner.scan(codes, n, 0, 0);
    scanner.drainInto(distances, labels, q * k);
  }
  return { distances, labels };
}
