import { describe, expect, it } from 'vitest';
import { ProductQuantizer } from '../src/index.js';
import { refKnn, structuredData } from './helpers/data.js';

/*
 * PQ encoding in blocks of rows (ProductQuantizer.codesOfChecked splits each ~1 MB block into its sub-spaces): every
 * code must be the nearest codeword in float64 (refKnn), ties to the lower codeword, whatever block a row falls in.
 */
/** Each row's nearest codeword per sub-space: the float64 brute-force 1-NN of its sub-vector among the codebook's. */
function nearestCodes(pq: ProductQuantizer, x: Float32Array, rows: number): Uint8Array {
  const { M, dsub, d } = pq;
  const codes = new Uint8Array(rows * M);
  const sub = new Float32Array(rows * dsub);
  for (let m = 0; m < M; m++) {
    for (let i = 0; i < rows; i++) sub.set(x.subarray(i * d + m * dsub, i * d + (m + 1) * dsub), i * dsub);
    const { labels } = refKnn({ rows, dim: dsub, data: sub }, pq.codebook(m), 1, 'l2');
    for (let i = 0; i < rows; i++) codes[i * M + m] = labels[i];
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
