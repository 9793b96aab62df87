import { createHash } from 'node:crypto';
import { jsBackend } from '../../src/backend/js/index.js';
import type { PackedLists } from '../../src/backend/types.js';
import { FastScanPacking } from '../../src/fastscan/fast-scan-packing.js';
import { packBlocks } from '../../src/fastscan/pack-blocks.js';
import { createRng } from '../../src/random.js';

/**
 * A digest of the js backend's fast-scan results (pq4Scan: scores, lists, offsets) on fixed random data — 3 queries,
 * 5 lists (one longer than the scanner's score buffer), M = 10, ip and l2, lists in an arena and copied in — so that
 * two processes (one running the kernel with i8x16.relaxed_swizzle, one without) can compare their results.
 */
export function pq4ScanDigest(): string {
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
  for (const metric of ['ip', 'l2'] as const) {
    for (const lists of [arena, plain]) {
      for (const k of [1, 100, 3000]) {
        const r = jsBackend.pq4Scan(luts, lists, { nprobe, lists: probeLists, bias, lutPerProbe: false }, M, k, metric);
        for (const a of [r.scores, r.lists, r.offsets]) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      }
    }
  }
  return hash.digest('hex');
}
