/**
 * The conformance suite can fail: backends wrong in one kernel each fail its cases, with messages naming the
 * kernel, the metric, the position and the values, and pass every other case. Through the package's
 * `@libvq/index-core/testing` subpath, as a backend written outside index-core would use it.
 */
import { describe, expect, it } from 'vitest';
import { type Backend, jsBackend } from '../src/backend.js';
import { backendConformanceCases, checkBackend, ConformanceError } from '@libvq/index-core/testing';

/** jsBackend with one kernel replaced. */
function withKernel(patch: Partial<Backend>): Backend {
  return { ...jsBackend, name: 'wrong', ...patch };
}

/** knn with the first two labels of every query swapped (distances untouched). */
const swapsLabels = withKernel({
  knn(x, y, k, metric) {
    const r = jsBackend.knn(x, y, k, metric);
    for (let i = 0; k > 1 && i < x.rows; i++) [r.labels[i * k], r.labels[i * k + 1]] = [r.labels[i * k + 1], r.labels[i * k]];
    return r;
  },
});

/** distances all off by 1e-2. */
const offDistances = withKernel({
  distances(x, y, metric) {
    return jsBackend.distances(x, y, metric).map((v) => v + 1e-2);
  },
});

describe('the backend conformance suite', () => {
  it('passes the js backend: every case, no failure', () => {
    const report = checkBackend(jsBackend);
    expect(report.failures).toEqual([]);
    expect(report.passed).toBe(backendConformanceCases(jsBackend).length);
    expect(report.passed).toBe(48);
  });

  it('fails a knn that swaps two labels, naming the kernel, metric, position and values', () => {
    const report = checkBackend(swapsLabels);
    expect(report.failures.map((f) => f.name)).toEqual([
      'knn (ip) returns the exact top-k, best first, padded',
      'knn (l2) returns the exact top-k, best first, padded',
      'knn k=5 (ip): equal vectors come out in id order, across column blocks',
      'knn k=5 (l2): equal vectors come out in id order, across column blocks',
      'knn k=1, k=5 and assign (ip) read shared-memory inputs longer than rows × dim',
      'knn k=1, k=5 and assign (l2) read shared-memory inputs longer than rows × dim',
    ]);
    expect(report.failures[0].message).toMatch(/^knn \(ip\) \[query 0, rank 0\] label: got \d+, expected \d+$/);
    expect(report.passed).toBe(42);
  });

  it('fails a knn that puts equal scores in reverse id order, naming the ties case', () => {
    // Every run of equal distances in a result row comes out highest id first.
    const reversesTies = withKernel({
      knn(x, y, k, metric) {
        const r = jsBackend.knn(x, y, k, metric);
        for (let i = 0; i < x.rows; i++) {
          for (let a = i * k; a < (i + 1) * k; ) {
            let b = a + 1;
            while (b < (i + 1) * k && r.distances[b] === r.distances[a] && r.labels[b] >= 0) b++;
            r.labels.subarray(a, b).reverse();
            a = b;
          }
        }
        return r;
      },
    });
    const report = checkBackend(reversesTies);
    expect(report.failures.map((f) => f.name)).toEqual([
      'knn k=5 (ip): equal vectors come out in id order, across column blocks',
      'knn k=5 (l2): equal vectors come out in id order, across column blocks',
    ]);
    expect(report.failures[0].message).toMatch(/^knn k=5 \(ip\) \[query 0, rank 0\] label \(ties in id order\): got 150, expected 5$/);
  });

  it('fails distances off by 1e-2, with the case throwing a ConformanceError', () => {
    const report = checkBackend(offDistances);
    expect(report.failures.map((f) => f.name)).toEqual(['distances (ip) match float64', 'distances (l2) match float64']);
    expect(report.failures[1].message).toMatch(/^distances \(l2\) \[row 0, col 0\]: got [\d.e-]+, expected [\d.e-]+ \(within 0\.0001 relative\)$/);
    const c = backendConformanceCases(offDistances).find((x) => x.name === 'distances (ip) match float64');
    expect(() => c?.run()).toThrow(ConformanceError);
    // the same backend passes at a tolerance its error fits in
    expect(checkBackend(offDistances, { relTol: 2e-2 }).failures).toEqual([]);
  });

  it('fails a fast-scan that drops the last code of every block, naming the case, query and rank', () => {
    // A list of 32 or more codes is cut to its whole blocks minus one code: the codes past that never come back.
    const dropsLast = withKernel({
      pq4Scan(luts, lists, probes, M2, k, metric) {
        const sizes = lists.sizes.map((n) => (n >= 32 ? Math.floor(n / 32) * 32 - 1 : n));
        return jsBackend.pq4Scan(luts, { sizes, blocks: lists.blocks }, probes, M2, k, metric);
      },
    });
    const report = checkBackend(dropsLast);
    expect(report.failures.length).toBe(8);
    expect(report.failures.every((f) => f.name.startsWith('pq4Scan ('))).toBe(true);
    expect(report.failures[0].message).toMatch(/^pq4Scan \(ip, M = 5, one table per query\) equals exact integer sums \[query \d+, rank \d+\] /);
  });

  it('fails a table quantization one below faiss on a few entries, naming the case and the byte', () => {
    const halfDown = withKernel({
      pq4Luts(tables, nq, M, M2, bias, nprobe, perProbe) {
        const r = jsBackend.pq4Luts(tables, nq, M, M2, bias, nprobe, perProbe);
        const luts = r.luts.map((v, i) => (i % 97 === 5 && v > 0 ? v - 1 : v));
        return { ...r, luts };
      },
    });
    const report = checkBackend(halfDown);
    expect(report.failures.length).toBeGreaterThan(0);
    expect(report.failures.every((f) => f.name.startsWith('pq4Luts ('))).toBe(true);
    expect(report.failures[0].message).toMatch(/^pq4Luts \(M = 8, nprobe 4, one table per query\) equals faiss's quantization bit for bit: table byte \d+/);
  });

  it('fails a kernel that throws, keeping its message', () => {
    const report = checkBackend(withKernel({ assign: () => { throw new Error('assign is not implemented'); } }));
    expect(report.failures).toHaveLength(12);
    expect(report.failures.every((f) => /^(assign \(|knn k=1, k=5 and assign \()/.test(f.name) && f.message === 'assign is not implemented')).toBe(true);
  });

  it('fails an assign that ignores the metric (a backend written when assign was L2 only), naming the inner-product cases', () => {
    const report = checkBackend(withKernel({ assign: (x, c) => jsBackend.assign(x, c) }));
    expect(report.failures.length).toBeGreaterThanOrEqual(4);
    expect(report.failures.every((f) => /inner product|\(ip\)/.test(f.name))).toBe(true);
    expect(report.failures[0].message).toMatch(/^assign \(ip, d=\d+\) \[vector \d+\] centroid: got \d+, expected \d+$/);
  });

  it('fails an ivfAdcScan that reads codes in an arena one byte off, naming the arena cases only', () => {
    const report = checkBackend(withKernel({
      ivfAdcScan(tables, lists, probes, M, ksub, k, metric, listTables) {
        const off = lists.arena ? { ...lists, codes: lists.codes.map((c) => new Uint8Array(c.buffer, c.byteOffset + 1, c.length)) } : lists;
        return jsBackend.ivfAdcScan(tables, off, probes, M, ksub, k, metric, listTables);
      },
    }));
    expect(report.failures.map((f) => f.name)).toEqual([
      'ivfAdcScan (ip) scores bias + table sums over probed lists only, codes in an arena',
      'ivfAdcScan (l2) scores bias + table sums over probed lists only, codes in an arena',
    ]);
    expect(report.failures[0].message).toMatch(/^ivfAdcScan \(ip, arena, k = 30\) \[query \d+, rank \d+\] distance/);
  });

  it('refuses a negative tolerance', () => {
    expect(() => backendConformanceCases(jsBackend, { relTol: -1 })).toThrow(/relTol: expected a number ≥ 0, got -1/);
  });
});
