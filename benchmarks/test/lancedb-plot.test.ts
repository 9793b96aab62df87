import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { exactInnerProductTopK } from '@libvq/glove/ann';
import { createRng } from '@libvq/index-core/util';
import { type Matrix } from '@libvq/index-core';
import { lanceEntry, runLanceIvfPq } from '../src/lancedb-runner.js';
import { annPoints, recallQpsSpec, recallQpsSvg } from '../src/plot.js';

/** Clustered data (seeded): 32 centres, points = centre + small noise, so IVF partitions are meaningful. */
function clustered(rows: number, dim: number, seed: number): Matrix {
  const rng = createRng(seed);
  const rnd = () => rng.next() - 0.5;
  const centres = Float32Array.from({ length: 32 * dim }, rnd);
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    const c = i % 32;
    for (let j = 0; j < dim; j++) data[i * dim + j] = centres[c * dim + j] + 0.2 * rnd();
  }
  return { rows, dim, data };
}

const lanceDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('libvq-bench-lance-')).length;

describe('LanceDB runner', () => {
  it('IVF_PQ over every partition finds the brute-force top-10 in its top-100; fewer partitions find less; temp dir removed', async () => {
    const base = clustered(3000, 16, 7);
    const queries: Matrix = { rows: 30, dim: 16, data: clustered(30, 16, 99).data };
    const k = 100;
    const truth = exactInnerProductTopK(base, queries, k).ids;
    const before = lanceDirs();
    const entry = await lanceEntry(base, queries, truth, { nlist: 16, M: 4, nprobes: [1, 16], k, threads: 1 });
    expect(lanceDirs()).toBe(before);
    expect(entry.runs.map((r) => r.nprobe)).toEqual([1, 16]);
    expect(entry.runs[1].r10at100).toBeGreaterThan(0.9);
    expect(entry.runs[0].r10at100).toBeLessThan(entry.runs[1].r10at100);
    // The table stores the raw float32 vectors besides the index; the index holds one M-byte code per row.
    expect(entry.diskBytes).toBeGreaterThan(base.rows * base.dim * 4);
    expect(entry.indexBytes).toBeGreaterThan(base.rows * 4);
    expect(entry.version).toMatch(/^\d+\.\d+\.\d+/);
  }, 60_000);

  it('returns valid, distinct row ids per query', async () => {
    const base = clustered(1000, 8, 3);
    const queries: Matrix = { rows: 5, dim: 8, data: base.data.slice(0, 40) };
    const run = await runLanceIvfPq(base, queries, { nlist: 4, M: 2, nprobes: [4], k: 20, threads: 1 });
    for (let q = 0; q < 5; q++) {
      const ids = Array.from(run.runs[0].labels.subarray(q * 20, (q + 1) * 20));
      expect(new Set(ids).size).toBe(20);
      for (const id of ids) expect(id >= 0 && id < 1000).toBe(true);
    }
  }, 60_000);

  it('rejects a sub-vector count that does not divide the dimension, naming it', async () => {
    const base = clustered(100, 10, 1);
    await expect(runLanceIvfPq(base, base, { nlist: 2, M: 4, nprobes: [1], k: 5, threads: 1 })).rejects.toThrow(/M=4/);
  });
});

describe('recall-vs-QPS plot', () => {
  const run = (nprobe: number, qps: number, r10at100: number) => ({ nprobe, qps, r10at100 });
  const results = [
    {
      factory: 'IVF8,PQ4x8',
      systems: [
        { label: 'libvq-ts', runs: [run(1, 200, 0.6), run(4, 50, 0.9)] },
        { label: 'faiss', runs: [run(1, 400, 0.61), run(4, 100, 0.91)] },
        { label: 'LanceDB', runs: [run(1, 100, 0.55), run(4, 25, 0.85)] },
      ],
    },
    { factory: 'OPQ4,IVF8,PQ4x8', systems: [{ label: 'libvq-ts', runs: [run(1, 200, 0.62)] }] },
  ];

  it('turns benchmark entries into one point per system row, factory and nprobe', () => {
    const pts = annPoints(results);
    expect(pts).toHaveLength(7);
    expect(pts.find((p) => p.system === 'faiss' && p.nprobe === 4)).toEqual({ system: 'faiss', factory: 'IVF8,PQ4x8', nprobe: 4, qps: 100, recall: 0.91 });
    expect(pts.find((p) => p.system === 'LanceDB' && p.nprobe === 1)?.qps).toBe(100);
    expect(pts.filter((p) => p.factory.startsWith('OPQ')).map((p) => p.system)).toEqual(['libvq-ts']);
  });

  it('uses a log x scale over the measured q/s and renders an SVG naming every system and factory', async () => {
    const pts = annPoints(results);
    const spec = recallQpsSpec(pts, 'test') as { encoding: { x: { scale: { type: string; domain: number[] } } } };
    expect(spec.encoding.x.scale.type).toBe('log');
    expect(spec.encoding.x.scale.domain[0]).toBeLessThan(25);
    expect(spec.encoding.x.scale.domain[1]).toBeGreaterThan(400);
    const svg = await recallQpsSvg(pts, 'test');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const label of ['libvq-ts', 'faiss', 'LanceDB', 'IVF8,PQ4x8', 'OPQ4,IVF8,PQ4x8', '10-R@100']) expect(svg).toContain(`>${label}<`);
  });

  it('rejects a point with no throughput', () => {
    expect(() => recallQpsSpec([{ system: 'a', factory: 'f', nprobe: 1, qps: 0, recall: 0.5 }], 't')).toThrow(/point 0 .*qps/);
  });
});
