import { describe, expect, it } from 'vitest';
import { IndexFlat, IndexIVFFlat, LibvqError, checkTrainingSize, defaultTrainingSize, indexFactory, type Index } from '../src/index.js';
import { jsBackend, type Backend } from '../src/backend.js';
import { checkMatrix, firstOutOfRange, sliceRows } from '../src/util.js';
import { MAX_RESULTS } from '../src/indexes/checks.js';
import { structuredData } from './helpers/data.js';

/*
 * Inputs that used to hang, crash with a raw RangeError or come back silently wrong (issue 11): k far beyond
 * ntotal, result sets too large to allocate, ids that cannot be labels, magnitudes whose squares overflow
 * float32, a coarse quantizer of the other metric, absurd factory sizes.
 */
const x = structuredData(600, 8, 3);
const q = structuredData(5, 8, 4);

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LibvqError);
    return `${(e as LibvqError).code}: ${(e as Error).message}`;
  }
  return undefined;
}

/** The js backend, recording the k of every knn / adcScan call. */
function recordingBackend(): { backend: Backend; ks: number[] } {
  const ks: number[] = [];
  const backend: Backend = {
    ...jsBackend,
    name: 'recording',
    knn: (a, b, k, metric) => (ks.push(k), jsBackend.knn(a, b, k, metric)),
    adcScan: (...args: Parameters<Backend['adcScan']>) => (ks.push(args[5]), jsBackend.adcScan(...args)),
  };
  return { backend, ks };
}

describe('search with k beyond ntotal', () => {
  it.each(['Flat', 'PQ4x8', 'IVF8,Flat', 'IVF8,PQ4x4'])('%s computes k = ntotal and pads the rest like faiss', (factory) => {
    const { backend, ks } = recordingBackend();
    const index: Index = indexFactory(8, factory, 'l2', backend);
    index.trainSync(x, { seed: 1 });
    index.addSync(x);
    const exact = index.searchSync(q, { k: 600, nprobe: 8 });
    ks.length = 0;
    const huge = index.searchSync(q, { k: 1_000_000, nprobe: 8 });
    // No kernel saw a k above ntotal (the IVF probe's k is nprobe).
    expect(Math.max(...ks)).toBeLessThanOrEqual(600);
    expect(huge.labels.length).toBe(5 * 1_000_000);
    for (let r = 0; r < 5; r++) {
      expect(huge.labels.subarray(r * 1e6, r * 1e6 + 600)).toEqual(exact.labels.subarray(r * 600, (r + 1) * 600));
      expect(huge.distances.subarray(r * 1e6, r * 1e6 + 600)).toEqual(exact.distances.subarray(r * 600, (r + 1) * 600));
      expect(huge.labels.subarray(r * 1e6 + 600, (r + 1) * 1e6).every((l) => l === -1)).toBe(true);
      expect(huge.distances[r * 1e6 + 700]).toBe(Infinity);
    }
  });

  it('an empty index returns pure padding', () => {
    const r = new IndexFlat(8, 'ip').searchSync(q, { k: 3 });
    expect(Array.from(r.labels)).toEqual(Array(15).fill(-1));
    expect(r.distances.every((d) => d === -Infinity)).toBe(true);
  });

  it('a result set too large to allocate is refused before any work, with the sizes', () => {
    const flat = new IndexFlat(8, 'l2');
    flat.addSync(x);
    expect(code(() => flat.searchSync(q, { k: 2 ** 31 }))).toMatch(/INVALID_ARGUMENT: IndexFlat\.search: 5 queries × k = 2147483648 is 10737418240 results .* over libvq's limit of 268435456/);
    expect(MAX_RESULTS).toBe(2 ** 28);
  });
});

describe('ids, magnitudes, metrics and factory sizes', () => {
  const ivf = () => {
    const i = new IndexIVFFlat(8, 4, 'l2');
    i.trainSync(x, { seed: 2 });
    return i;
  };

  it('ids must be 0 ≤ id ≤ 2^53 − 1', () => {
    expect(code(() => ivf().addSync(sliceRows(x, 0, 2), BigInt64Array.of(5n, -3n)))).toMatch(/INVALID_ARGUMENT: IndexIVF\.add ids\[1\]: expected an integer id from 0 to 2\^53 - 1 .* got -3/);
    expect(code(() => ivf().addSync(sliceRows(x, 0, 1), BigInt64Array.of(2n ** 53n)))).toMatch(/ids\[0\].* got 9007199254740992/);
    expect(code(() => ivf().addSync(sliceRows(x, 0, 1), Float64Array.of(2 ** 53)))).toMatch(/ids\[0\]: expected an integer id from 0 to 2\^53 - 1.* got 9007199254740992/);
    expect(code(() => ivf().addSync(sliceRows(x, 0, 1), [1.5]))).toMatch(/ids\[0\]: expected an integer id.* got 1\.5/);
    expect(code(() => ivf().addSync(sliceRows(x, 0, 1), Int32Array.of(-1)))).toMatch(/ids\[0\]: expected an integer id from 0/);
    const ok = ivf();
    ok.addSync(sliceRows(x, 0, 2), BigInt64Array.of(0n, 2n ** 53n - 1n));
    ok.addSync(sliceRows(x, 2, 4), [7, 2 ** 53 - 2]);
    expect(ok.ntotal).toBe(4);
  });

  it('components beyond ±1e15 are refused (their squares would overflow float32 to Infinity)', () => {
    const big = structuredData(3, 8, 5);
    big.data[9] = 1e30;
    expect(code(() => ivf().addSync(big))).toMatch(/NON_FINITE: IndexIVF\.add vectors: row 1, component 1 is 1\.0\d*e\+30; components must lie within ±1e15/);
    expect(code(() => ivf().searchSync(big, { k: 1 }))).toMatch(/row 1, component 1 is 1\.0\d*e\+30/);
    expect(code(() => new IndexIVFFlat(8, 2, 'l2').trainSync(big))).toMatch(/IndexIVF\.train vectors: row 1/);
  });

  it('checkMatrix names the first bad component wherever it lies (every position of a 3 × 7 matrix, one and two bad values)', () => {
    // The oracle reads the components one at a time: the first that is not finite or lies beyond ±1e15.
    const oracle = (d: Float32Array): number => d.findIndex((v) => !Number.isFinite(v) || Math.abs(v) > 1e15);
    const rows = 3;
    const dim = 7;
    const base = structuredData(rows, dim, 6).data;
    const bad = [NaN, Infinity, -Infinity, 2e15, -2e15];
    expect(code(() => checkMatrix({ rows, dim, data: Float32Array.from(base, (v, i) => (i === 4 || i === rows * dim - 1 ? 1e15 : i === 5 ? -1e15 : v)) }, 'x'))).toBeUndefined();
    for (let at = 0; at < rows * dim; at++) {
      for (const v of bad) {
        for (const second of [-1, (at * 5 + 3) % (rows * dim)]) {
          const data = base.slice();
          data[at] = v;
          if (second >= 0) data[second] = NaN;
          const i = oracle(data);
          const r = Math.floor(i / dim);
          const message = code(() => checkMatrix({ rows, dim, data }, 'x', dim, 10));
          expect(message).toContain(`NON_FINITE: x: row ${10 + r}, component ${i - r * dim} is ${data[i]}`);
          expect(message).toContain(Number.isFinite(data[i]) ? 'components must lie within ±1e15' : 'vectors must be finite');
        }
      }
    }
  });

  it('firstOutOfRange over a range [start, end) finds the first bad component inside it, as a one-at-a-time scan', () => {
    const d = structuredData(3, 7, 8).data;
    d[2] = NaN;
    d[9] = Infinity;
    d[16] = -3e15;
    for (let start = 0; start <= d.length; start++) {
      for (let end = start; end <= d.length; end++) {
        let want = -1;
        for (let i = start; i < end && want < 0; i++) if (!Number.isFinite(d[i]) || Math.abs(d[i]) > 1e15) want = i;
        expect(firstOutOfRange(d, start, end)).toBe(want);
      }
    }
  });

  it('an ip IVF refuses an l2 coarse quantizer (and the other way round)', () => {
    expect(code(() => new IndexIVFFlat(8, 4, 'ip', undefined, new IndexFlat(8, 'l2')))).toMatch(/coarse quantizer's metric is l2, the index's is ip/);
    expect(code(() => new IndexIVFFlat(8, 4, 'l2', undefined, new IndexFlat(8, 'ip')))).toMatch(/coarse quantizer's metric is ip, the index's is l2/);
  });

  it('absurd nlist and M are factory errors, not RangeErrors', () => {
    expect(code(() => indexFactory(8, 'IVF99999999999999999999,Flat'))).toMatch(/BAD_FACTORY: .*"IVF99999999999999999999".*nlist from 1 to 16777216/);
    expect(code(() => indexFactory(8, 'IVF16777217,Flat'))).toMatch(/nlist from 1 to 16777216/);
    expect(code(() => indexFactory(8, 'PQ99999999x8'))).toMatch(/BAD_FACTORY: .*"PQ99999999".*M from 1 to 65536/);
  });

  it("training sizes from the index's parameters: faiss's 256 per centroid, and each stage's minimum", () => {
    const size = (f: string) => defaultTrainingSize(indexFactory(64, f, 'l2'));
    expect([size('Flat'), size('PQ8x4'), size('IVF1024,PQ8x4'), size('OPQ8,IVF16,PQ8'), size('IVF16,Flat')]).toEqual([1, 4096, 262144, 65536, 4096]);
    expect(code(() => checkTrainingSize(indexFactory(64, 'OPQ8,IVF300,PQ8x4', 'l2'), 280))).toMatch(/INSUFFICIENT_DATA: OPQ8,IVF300,PQ8x4: 280 training vectors for nlist = 300 IVF lists; need at least 300/);
    expect(code(() => checkTrainingSize(indexFactory(64, 'OPQ8,PQ8x4', 'l2'), 200))).toMatch(/the OPQ rotation .* need at least 256/);
    expect(() => checkTrainingSize(indexFactory(64, 'IVF16,PQ8x4', 'l2'), 16)).not.toThrow();
  });

  it('factory options reach the OPQ rotation (a fewer-iteration rotation trains differently) and are checked', () => {
    const x = structuredData(600, 8, 3);
    const rotation = (opts?: { niter: number }) => {
      const idx = indexFactory(8, 'OPQ2,PQ2x4', 'l2', undefined, opts && { opq: { ...opts, maxTrainPoints: 500 } });
      idx.trainSync(x, { seed: 1 });
      return Array.from(idx.parameters().transforms[0].matrix);
    };
    expect(rotation({ niter: 2 })).toEqual(rotation({ niter: 2 }));
    expect(rotation({ niter: 2 })).not.toEqual(rotation({ niter: 6 }));
    expect(code(() => indexFactory(8, 'OPQ2,PQ2', 'l2', undefined, { opq: { niter: 0 } }))).toMatch(/options\.opq\.niter: expected a positive integer/);
  });
});
