import { describe, expect, it } from 'vitest';
import { matrix } from '@libvq/index-core';
import type { Matrix, Metric } from '@libvq/index-core';
import { LearnableIndex, autoTemperature, parseTemperature } from '../src/index.js';
import { clustered } from './fixtures.js';

/** Oracle: float64 scores of every query against every document, sorted, gap between rank 1 and rank `depth`. */
function gapMedianOracle(metric: Metric, q: Matrix, x: Matrix, depth: number, own?: ArrayLike<number>): number {
  const gaps: number[] = [];
  for (let i = 0; i < q.rows; i++) {
    const s: number[] = [];
    for (let j = 0; j < x.rows; j++) {
      if (own && own[i] === j) continue;
      let dot = 0;
      let l2 = 0;
      for (let c = 0; c < q.dim; c++) {
        const a = q.data[i * q.dim + c];
        const b = x.data[j * x.dim + c];
        dot += a * b;
        l2 += (a - b) * (a - b);
      }
      s.push(metric === 'ip' ? dot : -l2);
    }
    s.sort((a, b) => b - a);
    gaps.push(s[0] - s[Math.min(depth, s.length) - 1]);
  }
  gaps.sort((a, b) => a - b);
  const n = gaps.length;
  return n % 2 ? gaps[(n - 1) / 2] : (gaps[n / 2 - 1] + gaps[n / 2]) / 2;
}

describe("temperature 'auto'", () => {
  const { docs, queries } = clustered(7, 600, 41, 16);

  it('is the median gap between the teacher scores of ranks 1 and depth, over logRatio (ip and l2)', () => {
    for (const metric of ['ip', 'l2'] as const) {
      for (const depth of [10, 100]) {
        const want = gapMedianOracle(metric, queries, docs, depth) / 3;
        const got = autoTemperature(metric, queries, docs, { depth, logRatio: 3, sample: queries.rows });
        expect(got).toBeGreaterThan(0);
        expect(Math.abs(got - want)).toBeLessThan(1e-5 * Math.max(1, want));
      }
    }
  });

  it("leaves each query's own document out when the queries are documents (queryDocIds)", () => {
    const ids = [3, 17, 250, 511, 42, 8, 99];
    const q = matrix(ids.length, docs.dim);
    ids.forEach((id, i) => q.data.set(docs.data.subarray(id * docs.dim, (id + 1) * docs.dim), i * docs.dim));
    const want = gapMedianOracle('ip', q, docs, 20, ids) / 4;
    expect(Math.abs(autoTemperature('ip', q, docs, { depth: 20, queryDocIds: ids }) - want)).toBeLessThan(1e-6);
    // Without the exclusion rank 1 is the query itself (score 1): a different, larger gap.
    expect(autoTemperature('ip', q, docs, { depth: 20 })).toBeGreaterThan(want + 1e-3);
  });

  it('samples deterministically by seed, and a depth beyond the corpus uses its last document', () => {
    const a = autoTemperature('ip', queries, docs, { sample: 9, seed: 5 });
    expect(autoTemperature('ip', queries, docs, { sample: 9, seed: 5 })).toBe(a);
    const few = { rows: 5, dim: docs.dim, data: docs.data.slice(0, 5 * docs.dim) };
    const want = gapMedianOracle('ip', queries, few, 5) / 4;
    expect(Math.abs(autoTemperature('ip', queries, few, { sample: queries.rows, depth: 100 }) - want)).toBeLessThan(1e-6);
  });

  it('refuses identical documents (no spread), a bad depth or ratio, naming the parameter', () => {
    const same = matrix(10, 4);
    same.data.fill(0.5);
    expect(() => autoTemperature('ip', { rows: 1, dim: 4, data: new Float32Array([1, 0, 0, 0]) }, same)).toThrow(/temperature.*'auto'.*median gap.*give a number/);
    expect(() => autoTemperature('ip', queries, docs, { depth: 1 })).toThrow(/depth.*integer >= 2/);
    expect(() => autoTemperature('ip', queries, docs, { logRatio: 0 })).toThrow(/logRatio.*> 0/);
  });

  it("parses 'auto' or a number > 0 from text, and fit refuses anything else, naming the parameter", () => {
    expect(parseTemperature('auto')).toBe('auto');
    expect(parseTemperature('5e-3')).toBe(0.005);
    for (const bad of ['', ' ', '0', '-1', 'NaN', 'Infinity', 'hot']) expect(() => parseTemperature(bad, '--temperature')).toThrow(/--temperature.*a number > 0 or 'auto'/);
    const li = LearnableIndex.create({ docEmbeddings: docs, indexMethod: 'pq', subvectorNum: 4, subvectorBits: 4, distMode: 'ip', seed: 1 });
    const fit = { queryEmbeddings: queries, docEmbeddings: docs, relData: null, epochs: 1, temperature: 'hot' as unknown as number };
    expect(() => li.fitSync(fit)).toThrow(/temperature.*a number > 0 or 'auto'/);
  });

  it("fit reports the temperature it used: the number given, or the fitted one for 'auto'", () => {
    const common = { queryEmbeddings: queries, docEmbeddings: docs, relData: null, lossMethod: 'distill' as const, epochs: 1, batchSize: 16, seed: 2 };
    const fixed = LearnableIndex.create({ docEmbeddings: docs, indexMethod: 'pq', subvectorNum: 4, subvectorBits: 4, distMode: 'ip', seed: 1 });
    expect(fixed.fitSync({ ...common, temperature: 0.3 }).temperature).toBe(0.3);
    const auto = LearnableIndex.create({ docEmbeddings: docs, indexMethod: 'pq', subvectorNum: 4, subvectorBits: 4, distMode: 'ip', seed: 1 });
    const rep = auto.fitSync({ ...common, temperature: 'auto' });
    expect(rep.temperature).toBe(autoTemperature('ip', queries, docs, { seed: 2 }));
    expect(rep.epochLoss.every(Number.isFinite)).toBe(true);
  });
});
