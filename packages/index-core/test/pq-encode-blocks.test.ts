import { describe, expect, it } from 'vitest';
import { ProductQuantizer } from '../src/index.js';
import { structuredData } from './helpers/data.js';

/*
 * PQ encoding in blocks of rows (ProductQuantizer.codesOfChecked splits each ~1 MB block into its sub-spaces): every
 * code must be the nearest codeword in float64, ties to the lower codeword, whatever block a row falls in.
 */
function nearestCodes(pq: ProductQuantizer, x: Float32Array, rows: number): Uint8Array {
  const { M, dsub, ksub, d } = pq;
  const codes = new Uint8Array(rows * M);
  for (let i = 0; i < rows; i++) {
    for (let m = 0; m < M; m++) {
      let best = -1;
      let bestD = Infinity;
      for (let c = 0; c < ksub; c++) {
        let s = 0;
        for (let j = 0; j < dsub; j++) {
          const diff = x[i * d + m * dsub + j] - pq.centroids[(m * ksub + c) * dsub + j];
          s += diff * diff;
        }
        if (s < bestD) {
          bestD = s;
          best = c;
        }
      }
      codes[i * M + m] = best;
    }
  }
  return codes;
}

describe('PQ encoding in blocks of rows', () => {
  it('gives each row its float64-nearest codewords across blocks (4,096 rows of 64 floats per block; 9,000 rows), on js and native', () => {
    const d = 64;
    const x = structuredData(9000, d, 31);
    for (const [M, nbits] of [[16, 8], [32, 4], [8, 6]] as const) {
      const pq = new ProductQuantizer(d, M, nbits);
      pq.train(structuredData(3000, d, 32), { seed: 1 });
      const want = nearestCodes(pq, x.data, x.rows);
      for (const backend of ['js', 'native']) {
        const got = pq.computeCodes(x, backend);
        // float32 sums can tie or flip against float64 only on near-equal distances: allow none here but count them.
        let differ = 0;
        for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) differ++;
        expect(differ, `PQ${M}x${nbits} ${backend}`).toBeLessThanOrEqual(Math.ceil(got.length * 1e-4));
        // A row encoded alone gets the bytes it gets in the batch.
        for (const r of [0, 4095, 4096, 8191, 8999]) {
          const one = pq.computeCodes({ rows: 1, dim: d, data: x.data.subarray(r * d, (r + 1) * d) }, backend);
          expect(Array.from(one), `PQ${M}x${nbits} ${backend} row ${r}`).toEqual(Array.from(got.subarray(r * M, (r + 1) * M)));
        }
      }
    }
  });
});
