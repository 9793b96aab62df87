import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readMemmap } from '@libvq/dataset/formats';
import type { Matrix, Metric } from '@libvq/index-core';
import type { AnnReport } from '../src/ann-report.js';
import { exactTopKOfFile } from '../src/exact-from-file.js';
import { main, parseArgs } from '../src/glove-ann.js';
import { writeSynthSet } from '../src/synth-set.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'libvq-ann-test-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** float64 reference: squared L2 distance or inner product of base row i and query q. */
function score64(base: Matrix, i: number, q: Matrix, j: number, metric: Metric): number {
  let s = 0;
  for (let t = 0; t < base.dim; t++) {
    const a = base.data[i * base.dim + t];
    const b = q.data[j * q.dim + t];
    s += metric === 'ip' ? a * b : (a - b) * (a - b);
  }
  return s;
}

describe('synthetic Gaussian mixture set', () => {
  it('is a function of its spec: same seed, same bytes; another seed, other bytes; queries are not base rows', async () => {
    const d = tempDir();
    const spec = { rows: 3000, queries: 20, dim: 12, components: 16, seed: 5 };
    await writeSynthSet(spec, join(d, 'a.base'), join(d, 'a.q'));
    await writeSynthSet(spec, join(d, 'b.base'), join(d, 'b.q'));
    await writeSynthSet({ ...spec, seed: 6 }, join(d, 'c.base'), join(d, 'c.q'));
    expect(readFileSync(join(d, 'a.base')).equals(readFileSync(join(d, 'b.base')))).toBe(true);
    expect(readFileSync(join(d, 'a.q')).equals(readFileSync(join(d, 'b.q')))).toBe(true);
    expect(readFileSync(join(d, 'a.base')).equals(readFileSync(join(d, 'c.base')))).toBe(false);
    const base = await readMemmap(join(d, 'a.base'), 12);
    const q = await readMemmap(join(d, 'a.q'), 12);
    expect([base.rows, q.rows]).toEqual([3000, 20]);
    for (let j = 0; j < q.rows; j++) {
      let nearest = Infinity;
      for (let i = 0; i < base.rows; i++) nearest = Math.min(nearest, score64(base, i, q, j, 'l2'));
      expect(nearest).toBeGreaterThan(1e-6);
    }
  });

  it('rejects a spec with a non-positive size, naming it', async () => {
    const d = tempDir();
    await expect(writeSynthSet({ rows: 10, queries: 0, dim: 4, components: 2, seed: 1 }, join(d, 'b'), join(d, 'q'))).rejects.toThrow(/queries/);
  });
});

describe('exact top-k over a base file', () => {
  it.each([
    ['l2', 1],
    ['ip', 1],
    ['l2', 2],
  ] as const)('%s, %i thread(s): blockwise results equal the float64 brute force (blocks of 97 rows)', async (metric, threads) => {
    const d = tempDir();
    await writeSynthSet({ rows: 1500, queries: 12, dim: 10, components: 8, seed: 9 }, join(d, 'base'), join(d, 'q'));
    const base = await readMemmap(join(d, 'base'), 10);
    const q = await readMemmap(join(d, 'q'), 10);
    const k = 25;
    const r = await exactTopKOfFile(join(d, 'base'), 10, q, k, metric, { blockRows: 97, threads });
    for (let j = 0; j < q.rows; j++) {
      const ref = Array.from({ length: base.rows }, (_, i) => score64(base, i, q, j, metric)).sort((a, b) => (metric === 'ip' ? b - a : a - b));
      const ids = Array.from(r.ids.subarray(j * k, (j + 1) * k));
      expect(new Set(ids).size).toBe(k);
      // The scores of the returned rows, recomputed in float64, are the true top-k scores in order.
      ids.forEach((id, t) => expect(score64(base, id, q, j, metric)).toBeCloseTo(ref[t], 3));
    }
  });
});

describe('ANN benchmark options', () => {
  it('--quick is CI-sized: 20,000 GloVe rows, 200 queries, IVF256, a reduced OPQ budget, nprobe 4 / 16 / 64', () => {
    const o = parseArgs(['--quick']);
    expect(o).toMatchObject({ dataset: 'glove', rows: 20_000, queries: 200, nprobes: [4, 16, 64], factories: ['IVF256,PQ20x8', 'OPQ20,IVF256,PQ20x8'], opq: { niter: 10, maxTrainPoints: 10_000 } });
    expect(parseArgs(['--dataset', 'synth1m']).rows).toBeUndefined(); // the full 1,000,000 rows
  });

  it('refuses an unknown backend before doing any work, listing the registered ones', async () => {
    const out = join(tempDir(), 'out');
    await expect(main(['--dataset', 'synth1m', '--rows', '500', '--backends', 'js,no-such-backend', '--out', out])).rejects.toThrow(/backend.*'js'.*no-such-backend/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a malformed number and an unknown data set, naming the flag', () => {
    expect(() => parseArgs(['--rows', '1.5'])).toThrow(/--rows: expected an integer/);
    expect(() => parseArgs(['--dataset', 'sift'])).toThrow(/--dataset: expected glove or synth1m/);
  });
});

describe('ANN benchmark end to end (tiny synthetic set: libvq-ts, faiss and LanceDB)', () => {
  const out = tempDir();
  const nlist = 32;
  // One benchmark run shared by the three cases (started by the first that needs it).
  let started: Promise<void> | undefined;
  const ran = () => (started ??= main([
    '--dataset', 'synth1m', '--rows', '12000', '--dim', '20', '--queries', '40', '--components', '64',
    '--factories', `IVF${nlist},PQ5x8;OPQ5,IVF${nlist},PQ5x8`, '--nprobes', `1,${nlist}`, '--opq-niter', '5', '--code', 'source', '--out', out,
  ]));

  it('writes JSON, markdown and an SVG plot', async () => {
    await ran();
    const report = JSON.parse(readFileSync(join(out, 'synth1m-ann.json'), 'utf8')) as AnnReport;
    expect(report.dataset).toMatchObject({ name: 'synth1m', rows: 12000, dim: 20, queries: 40, metric: 'l2', k: 100 });
    const md = readFileSync(join(out, 'synth1m-ann.md'), 'utf8');
    expect(md).toContain('| index | nprobe | system | R@1 | 10-R@100 | q/s | q/s ÷ faiss |');
    expect(md).toContain('| index | system | train s (÷ faiss) | k-means s | PQ train s | OPQ s | add s | index MB | peak RSS MB | peak − loaded MB |');
    expect(md).toContain('![recall vs queries/s](synth1m-ann.svg)');
    // One search row per factory, nprobe and system: 2 × 3 for IVF-PQ (with LanceDB), 2 × 2 for OPQ.
    expect(md.split('\n').filter((l) => /^\| (OPQ5,)?IVF32,PQ5x8 \| \d+ \|/.test(l))).toHaveLength(10);
    const svg = readFileSync(join(out, 'synth1m-ann.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const label of ['libvq-ts (js)', 'faiss', 'LanceDB', `IVF${nlist},PQ5x8`]) expect(svg).toContain(`>${label}<`);
  }, 600_000);

  it('scores every system against the exact search: recall in a sane range, all lists ≈ faiss', async () => {
    await ran();
    const report = JSON.parse(readFileSync(join(out, 'synth1m-ann.json'), 'utf8')) as AnnReport;
    expect(report.results.map((r) => [r.factory, r.systems.map((s) => s.system)])).toEqual([
      [`IVF${nlist},PQ5x8`, ['libvq-ts', 'faiss', 'LanceDB']],
      [`OPQ5,IVF${nlist},PQ5x8`, ['libvq-ts', 'faiss']],
    ]);
    for (const { systems } of report.results) {
      const faiss = systems.find((s) => s.system === 'faiss')!;
      for (const s of systems) {
        const [one, all] = s.runs;
        expect([one.nprobe, all.nprobe]).toEqual([1, nlist]);
        for (const r of s.runs) {
          expect(r.r1).toBeGreaterThanOrEqual(0);
          expect(r.r1).toBeLessThanOrEqual(1);
          expect(r.qps).toBeGreaterThan(0);
        }
        // Probing every list, 20-dim vectors in 5 sub-vectors of 4 dims find nearly all of the true top-10.
        expect(all.r10at100).toBeGreaterThan(0.9);
        expect(all.r1).toBeGreaterThan(0.2);
        expect(one.r10at100).toBeLessThanOrEqual(all.r10at100);
        expect(Math.abs(all.r10at100 - faiss.runs[1].r10at100)).toBeLessThan(0.05);
      }
    }
  }, 600_000);

  it('reports build figures: training phases within the train time, index bytes, peak memory', async () => {
    await ran();
    const report = JSON.parse(readFileSync(join(out, 'synth1m-ann.json'), 'utf8')) as AnnReport;
    for (const { factory, systems } of report.results) {
      for (const s of systems) {
        expect(s.peakRssBytes).toBeGreaterThanOrEqual(s.rssAfterLoadBytes);
        expect(s.rssAfterLoadBytes).toBeGreaterThan(12000 * 20 * 4);
        if (s.system === 'LanceDB') continue;
        const p = s.phases!;
        for (const x of [p.opqS, p.kmeansS, p.pqS]) expect(x).toBeGreaterThanOrEqual(0);
        expect(p.opqS + p.kmeansS + p.pqS).toBeLessThanOrEqual(s.trainS * 1.0001 + 1e-3);
        expect(p.opqS > 0).toBe(factory.startsWith('OPQ'));
        // faiss's format: 5 code bytes and an 8-byte id per vector, the centroids and codebooks.
        expect(s.indexBytes).toBeGreaterThan(12000 * (5 + 8) + nlist * 20 * 4 + 256 * 20 * 4);
      }
      const [ours, faiss] = systems;
      expect(ours.indexBytes).toBe(faiss.indexBytes);
    }
  }, 600_000);
});
