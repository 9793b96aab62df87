import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readResults, writeResults, writeVectors } from '@libvq/dataset';
import { bruteForceTopK, clusteredVectors, libvq, recallByHand } from './index-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'libvq-cli-eval-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = 0;
});

const base = clusteredVectors(1500, 16, 21);
const queries = clusteredVectors(40, 16, 22);

/** The figures eval prints must be what the results file scores against a float64 brute force. */
async function expectRecallMatches(resultsPath: string, basePath: string, metric: 'ip' | 'l2', extra: string[] = []) {
  const r = await libvq('eval', '--results', resultsPath, '--exact', basePath, '--json', ...extra);
  expect(r.code).toBe(0);
  expect(r.err).toMatch(/exact search \[#+\] 100% 40\/40/);
  const figures = JSON.parse(r.out) as Record<string, number | string>;
  const res = await readResults(resultsPath);
  const truth = bruteForceTopK(queries, base, 10, metric);
  const r1 = recallByHand(res.labels as BigInt64Array, res.k, truth, 1, 1);
  const r10 = recallByHand(res.labels as BigInt64Array, res.k, truth, 10, 100);
  expect(figures).toEqual({ queries: 40, metric, k: 100, 'R@1': r1, '10-R@100': r10 });
  return { r1, r10 };
}

describe('libvq build -> search -> eval', () => {
  it('.npy base, .fvecs queries, inner product, OPQ+IVF+PQ', async () => {
    const npy = join(root, 'base.npy');
    const fvecs = join(root, 'queries.fvecs');
    const index = join(root, 'opq.faiss');
    const results = join(root, 'opq.results.arrow');
    await writeVectors(npy, base);
    await writeVectors(fvecs, queries);
    expect((await libvq('build', npy, '--factory', 'OPQ4,IVF16,PQ4x8', '--metric', 'ip', '-o', index)).code).toBe(0);
    expect((await libvq('search', '--index', index, '--queries', fvecs, '--k', '100', '--nprobe', '4', '-o', results)).code).toBe(0);
    // eval finds the queries through the results' metadata.
    const { r1, r10 } = await expectRecallMatches(results, npy, 'ip');
    // A lossy index: neither perfect nor useless, so the figures say something.
    expect(r10).toBeGreaterThan(0.3);
    expect(r10).toBeLessThan(1);
    const text = await libvq('eval', '--results', results, '--exact', npy, '--queries', fvecs);
    expect(text.code).toBe(0);
    expect(text.out).toBe(`40 queries, ip, exact top-100 over 1500 vectors: R@1 = ${r1.toFixed(4)}, 10-R@100 = ${r10.toFixed(4)}`);
  });

  it('.arrow base and queries with ids, l2, IVF-PQ; an exact index scores 1', async () => {
    const arrow = join(root, 'base.arrow');
    const qArrow = join(root, 'queries.arrow');
    await writeVectors(arrow, base, { ids: Array.from({ length: base.rows }, (_, i) => `d${i}`) });
    await writeVectors(qArrow, queries, { ids: Array.from({ length: queries.rows }, (_, i) => `q${i}`) });
    const index = join(root, 'ivfpq.faiss');
    const results = join(root, 'ivfpq.results.arrow');
    expect((await libvq('build', arrow, '--factory', 'IVF8,PQ8x6', '--metric', 'l2', '-o', index)).code).toBe(0);
    expect((await libvq('search', '--index', index, '--queries', qArrow, '--k', '100', '--nprobe', '2', '-o', results)).code).toBe(0);
    // The metric comes from the results' metadata (l2 here) unless --metric says otherwise.
    await expectRecallMatches(results, arrow, 'l2', ['--queries', qArrow]);

    const flat = join(root, 'flat.faiss');
    const exactResults = join(root, 'flat.results.arrow');
    expect((await libvq('build', arrow, '--factory', 'Flat', '--metric', 'l2', '-o', flat)).code).toBe(0);
    expect((await libvq('search', '--index', flat, '--queries', qArrow, '-o', exactResults)).code).toBe(0);
    const { r1, r10 } = await expectRecallMatches(exactResults, arrow, 'l2');
    expect([r1, r10]).toEqual([1, 1]);
  });

  it('--metric cosine: build records it, search and eval rank by cosine; a Flat index finds the float64 cosine top-10', async () => {
    // Rows scaled by factors from 0.1 to 10: a ranking by inner product or distance would differ from cosine.
    const scaled = { ...base, data: base.data.map((v, i) => v * 10 ** (((i / base.dim) | 0) % 3 - 1)) };
    const npy = join(root, 'cos-base.npy');
    const qnpy = join(root, 'cos-queries.npy');
    await writeVectors(npy, scaled);
    await writeVectors(qnpy, queries);
    const index = join(root, 'cos.faiss');
    const results = join(root, 'cos.results.arrow');
    const built = await libvq('build', npy, '--factory', 'Flat', '--metric', 'cosine', '-o', index);
    expect(built.out).toContain('L2norm,Flat (cosine, d = 16)');
    expect((await libvq('search', '--index', index, '--queries', qnpy, '--k', '100', '-o', results)).code).toBe(0);
    const r = await libvq('eval', '--results', results, '--exact', npy, '--json');
    expect(JSON.parse(r.out)).toEqual({ queries: 40, metric: 'cosine', k: 100, 'R@1': 1, '10-R@100': 1 });
    // The oracle: cosine similarity in float64 over the raw vectors.
    const norm = (m: typeof base, i: number) => Math.hypot(...m.data.subarray(i * m.dim, (i + 1) * m.dim));
    const truth = Array.from({ length: queries.rows }, (_, i) => {
      const sims = Array.from({ length: scaled.rows }, (_, j) => {
        let dot = 0;
        for (let t = 0; t < 16; t++) dot += queries.data[i * 16 + t] * scaled.data[j * 16 + t];
        return { j, s: dot / (norm(queries, i) * norm(scaled, j)) };
      });
      return sims.sort((a, b) => b.s - a.s).slice(0, 10).map((x) => x.j);
    });
    const res = await readResults(results);
    expect(recallByHand(res.labels as BigInt64Array, res.k, truth, 10, 10)).toBe(1);
    // Scored as inner product instead, the same results are not exact: the metric matters here.
    const ip = await libvq('eval', '--results', results, '--exact', npy, '--metric', 'ip', '--json');
    expect((JSON.parse(ip.out) as Record<string, number>)['10-R@100']).toBeLessThan(1);
  });

  describe('bad input', () => {
    const npy = join(root, 'bad-base.npy');
    const qnpy = join(root, 'bad-queries.npy');
    const results = join(root, 'bad.results.arrow');

    const setUp = async () => {
      await writeVectors(npy, base);
      await writeVectors(qnpy, queries);
      const labels = new BigInt64Array(queries.rows * 10);
      await writeResults(results, { qids: BigInt64Array.from({ length: queries.rows }, (_, i) => BigInt(i)), k: 10, labels, distances: new Float32Array(labels.length) });
    };

    const expectError = async (args: string[], message: RegExp) => {
      const r = await libvq('eval', ...args);
      expect(r.code).not.toBe(0);
      const lines = r.err.split('\n').filter((l) => l.trim() !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    };

    it('results without a queries file, queries that do not match, vectors that are not the indexed ones', async () => {
      await setUp();
      await expectError(['--results', results, '--exact', npy], /--queries: .*bad\.results\.arrow does not name its queries file/);
      const fewer = join(root, 'fewer.npy');
      await writeVectors(fewer, clusteredVectors(39, 16, 1));
      await expectError(['--results', results, '--exact', npy, '--queries', fewer], /--queries .*fewer\.npy: 39 queries, but .*bad\.results\.arrow has 40 result rows/);
      const wrongDim = join(root, 'wrong-dim.npy');
      await writeVectors(wrongDim, clusteredVectors(40, 8, 1));
      await expectError(['--results', results, '--exact', npy, '--queries', wrongDim], /\[DIMENSION_MISMATCH\]: --queries .*wrong-dim\.npy: vectors have dimension 8, but --exact .* has 16/);
      const tiny = join(root, 'tiny.npy');
      await writeVectors(tiny, clusteredVectors(3, 16, 1));
      const far = join(root, 'far.results.arrow');
      const labels = new BigInt64Array(queries.rows * 10).fill(7n);
      await writeResults(far, { qids: BigInt64Array.from({ length: queries.rows }, (_, i) => BigInt(i)), k: 10, labels, distances: new Float32Array(labels.length) });
      await expectError(['--results', far, '--exact', tiny, '--queries', qnpy], /far\.results\.arrow: row 0 names doc 7, but --exact .*tiny\.npy has only 3 vectors/);
      await expectError(['--results', join(root, 'missing.arrow'), '--exact', npy, '--queries', qnpy], /\[IO\].*missing\.arrow/);
    });
  });
});
