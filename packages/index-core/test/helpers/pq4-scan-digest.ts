import { createHash } from 'node:crypto';
import { jsBackend } from '../../src/backend/js/index.js';
import type { PackedLists } from '../../src/backend/types.js';
import { FastScanPacking } from '../../src/fastscan/fast-scan-packing.js';
import { packBlocks } from '../../src/fastscan/pack-blocks.js';
import { createRng } from '../../src/random.js';

/**
 * The js backend's fast-scan (pq4Scan) on fixed random data — 3 queries, 5 lists (one longer than the scanner's
 * score buffer), M = 10, ip and l2, lists in an arena and copied in — against the oracle (every code's uint16 sum,
 * sorted stably, the k first): how many results differ from it, and a digest of all of them, so that two processes
 * (one running the kernel with i8x16.relaxed_swizzle, one without) can compare their results too.
 */
export function pq4ScanDigest(): { digest: string; wrong: number } {
  const M = 10;
  const sizes = [3000, 77, 20_000, 0, 1500];
  const rng = createRng(9);
  const codes = sizes.map((n) => new Uint8Array(n * M).map(() => Math.floor(rng.next() * 16)));
  const arena = new FastScanPacking(M).of(1, new Int32Array(sizes), codes);
  const plain: PackedLists = { sizes: new Int32Array(sizes), blocks: codes.map((c, l) => packBlocks(c, sizes[l], M)) };
  const nprobe = 3;
  const probeLists = new Int32Array([2, 0, 4, 1, 2, -1, 4, 3, 0]);
  const luts = new Uint8Array(3 * M * 16).map(() => Math.floor(rng.next() * 256));
  const bias = new Uint16Array(3 * nprobe).map((_, i) => (i % 3) * 11);
  const hash = createHash('sha1');
  let wrong = 0;
  for (const metric of ['ip', 'l2'] as const) {
    for (const lists of [arena, plain]) {
      for (const k of [1, 100, 3000]) {
        const r = jsBackend.pq4Scan(luts, lists, { nprobe, lists: probeLists, bias, lutPerProbe: false }, M, k, metric);
        for (const a of [r.scores, r.lists, r.offsets]) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
        for (let q = 0; q < 3; q++) {
          const want = pq4Oracle({ luts, codes, sizes, probeLists, bias, nprobe, M }, q, k, metric);
          for (let j = 0; j < k; j++) {
            const o = q * k + j;
            if (r.scores[o] !== want[j].s || r.lists[o] !== want[j].l || r.offsets[o] !== want[j].r) wrong++;
          }
        }
      }
    }
  }
  return { digest: hash.digest('hex'), wrong };
}

/** A fast-scan problem: uint8 tables per query, codes per list (one byte per sub-quantizer), probes and their biases. */
export interface Pq4Case {
  luts: Uint8Array;
  codes: Uint8Array[];
  sizes: number[];
  probeLists: Int32Array;
  bias: Uint16Array;
  nprobe: number;
  M: number;
  /** One table per (query, probe) (l2 with residuals); default one per query. */
  lutPerProbe?: boolean;
}

/**
 * The oracle of a fast-scan query: every probed code's uint16 sum (bias + Σ_m table), sorted stably (so equal sums
 * keep probe order, then position), the k first, padded with { s: 0, l: −1, r: −1 } as pq4Scan pads.
 */
export function pq4Oracle(c: Pq4Case, q: number, k: number, metric: 'ip' | 'l2'): { s: number; l: number; r: number }[] {
  const all: { s: number; l: number; r: number }[] = [];
  for (let p = 0; p < c.nprobe; p++) {
    const l = c.probeLists[q * c.nprobe + p];
    if (l < 0) continue;
    for (let r = 0; r < c.sizes[l]; r++) {
      let s = c.bias[q * c.nprobe + p];
      const t = c.lutPerProbe ? q * c.nprobe + p : q;
      for (let m = 0; m < c.M; m++) s += c.luts[(t * c.M + m) * 16 + c.codes[l][r * c.M + m]];
      all.push({ s, l, r });
    }
  }
  const want = all.sort((a, b) => (metric === 'ip' ? b.s - a.s : a.s - b.s)).slice(0, k);
  return [...want, ...Array.from({ length: k - want.length }, () => ({ s: 0, l: -1, r: -1 }))];
}
