import { describe, expect, it } from 'vitest';
import {
  IndexFlat, IndexIVFPQ, IndexPreTransform, deserializeIndex, describeIndex, indexFactory, parseFactory, serializeIndex, type Matrix,
} from '../src/index.js';
import { createRng, gaussian, normalizeRows } from '../src/util.js';

/*
 * 'cosine' is faiss's L2norm transform before an inner-product index. The oracle: cosine similarity in float64
 * over the raw, unnormalised vectors, ranked best first.
 */

const D = 24;

/** Gaussian rows, each scaled by its own factor from 1e-2 to 1e2: norms spread over four decades. */
function unnormalised(rows: number, seed: number): Matrix {
  const rng = createRng(seed);
  const data = new Float32Array(rows * D);
  for (let i = 0; i < rows; i++) {
    const scale = 10 ** (4 * rng.next() - 2);
    for (let j = 0; j < D; j++) data[i * D + j] = scale * gaussian(rng);
  }
  return { rows, dim: D, data };
}

/** Top-k by float64 cosine similarity: ids and similarities, best first. */
function cosineTopK(q: Matrix, x: Matrix, k: number): { ids: number[][]; sims: number[][] } {
  const norm = (m: Matrix, i: number) => Math.sqrt(Array.from(m.data.subarray(i * D, (i + 1) * D)).reduce((s, v) => s + v * v, 0));
  const ids: number[][] = [];
  const sims: number[][] = [];
  for (let a = 0; a < q.rows; a++) {
    const scored: [number, number][] = [];
    for (let b = 0; b < x.rows; b++) {
      let dot = 0;
      for (let j = 0; j < D; j++) dot += q.data[a * D + j] * x.data[b * D + j];
      scored.push([b, dot / (norm(q, a) * norm(x, b))]);
    }
    scored.sort((u, v) => v[1] - u[1] || u[0] - v[0]);
    ids.push(scored.slice(0, k).map((s) => s[0]));
    sims.push(scored.slice(0, k).map((s) => s[1]));
  }
  return { ids, sims };
}

const xb = unnormalised(600, 1);
const xq = unnormalised(30, 2);
const K = 10;

function rowsOf(labels: ArrayLike<number | bigint>, k: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < labels.length; i += k) out.push(Array.from({ length: k }, (_, r) => Number(labels[i + r])));
  return out;
}

describe("metric 'cosine': an L2norm transform before an inner-product index", () => {
  it('is built as L2norm,<description> with metric ip, and described so', () => {
    const index = indexFactory(D, 'IVF8,PQ4x8', 'cosine');
    expect(index).toBeInstanceOf(IndexPreTransform);
    expect(index.metric).toBe('ip');
    expect(describeIndex(index)).toBe('L2norm,IVF8,PQ4x8');
    expect(describeIndex(indexFactory(D, 'OPQ4,IVF8,PQ4x8', 'cosine'))).toBe('L2norm,OPQ4,IVF8,PQ4x8');
    // Normalising twice changes nothing: a description that starts with L2norm keeps its one.
    expect(describeIndex(indexFactory(D, 'L2norm,Flat', 'cosine'))).toBe('L2norm,Flat');
    expect(describeIndex(indexFactory(D, 'L2norm,Flat', 'l2'))).toBe('L2norm,Flat');
    expect(parseFactory('L2norm,OPQ4,PQ4').transforms).toEqual([{ kind: 'L2norm' }, { kind: 'OPQ', M: 4 }]);
    expect(indexFactory(D, 'Flat').metric).toBe('ip'); // the default metric is LibVQ's
    expect(new IndexFlat(D).metric).toBe('ip');
  });

  it('Flat and IVF (every list probed) rank exactly as float64 cosine similarity does', () => {
    const oracle = cosineTopK(xq, xb, K);
    for (const desc of ['Flat', 'IVF8,Flat']) {
      const index = indexFactory(D, desc, 'cosine');
      index.trainSync(xb, { seed: 5 });
      index.addSync(xb);
      const r = index.searchSync(xq, { k: K, nprobe: 8 });
      expect(rowsOf(r.labels, K), desc).toEqual(oracle.ids);
      for (let i = 0; i < xq.rows * K; i++) expect(r.distances[i]).toBeCloseTo(oracle.sims[Math.floor(i / K)][i % K], 5);
    }
  });

  it('ranks the same whatever the scale of a query (only directions count)', () => {
    const index = indexFactory(D, 'Flat', 'cosine');
    index.addSync(xb);
    const scaled = { ...xq, data: xq.data.map((v) => v * 37) };
    expect(rowsOf(index.searchSync(scaled, { k: K }).labels, K)).toEqual(rowsOf(index.searchSync(xq, { k: K }).labels, K));
  });

  it('IVF-PQ with cosine is IVF-PQ with ip on vectors normalised beforehand (same training, same results)', () => {
    const normalise = (m: Matrix): Matrix => normalizeRows({ rows: m.rows, dim: D, data: m.data.slice() });
    const cos = indexFactory(D, 'IVF8,PQ4x6', 'cosine');
    cos.trainSync(xb, { seed: 9 });
    cos.addSync(xb);
    const ip = new IndexIVFPQ(D, 8, 4, 6, 'ip');
    ip.trainSync(normalise(xb), { seed: 9 });
    ip.addSync(normalise(xb));
    const a = cos.searchSync(xq, { k: K, nprobe: 3 });
    const b = ip.searchSync(normalise(xq), { k: K, nprobe: 3 });
    expect(Array.from(a.labels, Number)).toEqual(Array.from(b.labels, Number));
    expect(Array.from(a.distances)).toEqual(Array.from(b.distances));
  });

  it('the asynchronous forms (train on a worker, add, search) give the bytes and results of the sync ones', async () => {
    const a = indexFactory(D, 'OPQ4,IVF8,PQ4x8', 'cosine');
    const b = indexFactory(D, 'OPQ4,IVF8,PQ4x8', 'cosine');
    a.trainSync(xb, { seed: 4 });
    a.addSync(xb);
    const stages = new Set<string | undefined>();
    await b.train(xb, { seed: 4, onProgress: (_d, _t, stage) => stages.add(stage) });
    await b.add(xb);
    expect(Buffer.from(serializeIndex(b)).equals(Buffer.from(serializeIndex(a)))).toBe(true);
    expect([...stages].every((s) => s !== undefined)).toBe(true); // every stage named across the thread, 'assign' too
    expect(Array.from((await b.search(xq, { k: K, nprobe: 4 })).labels)).toEqual(Array.from(a.searchSync(xq, { k: K, nprobe: 4 }).labels));
  });

  it('a zero vector stays zero (scores 0), as in faiss', () => {
    const index = indexFactory(D, 'Flat', 'cosine');
    index.addSync({ rows: 1, dim: D, data: new Float32Array(D) });
    expect(index.searchSync(xq, { k: 1 }).distances.every((v) => v === 0)).toBe(true);
    expect(Array.from(index.reconstruct(0))).toEqual(new Array(D).fill(0));
  });

  it('round-trips through the faiss format (VNrm) and searches the same', () => {
    const index = indexFactory(D, 'L2norm,OPQ4,IVF8,PQ4x8', 'ip');
    index.trainSync(xb, { seed: 2 });
    index.addSync(xb);
    const bytes = serializeIndex(index);
    const back = deserializeIndex(bytes);
    expect(describeIndex(back)).toBe('L2norm,OPQ4,IVF8,PQ4x8');
    expect(back.metric).toBe('ip');
    expect(Array.from(back.searchSync(xq, { k: K, nprobe: 4 }).labels, Number)).toEqual(Array.from(index.searchSync(xq, { k: K, nprobe: 4 }).labels, Number));
    expect(Buffer.from(serializeIndex(back)).equals(Buffer.from(bytes))).toBe(true);
  });

  it("refuses 'cosine' where an index is constructed directly, and names the factory", () => {
    expect(() => new IndexFlat(D, 'cosine' as never)).toThrow(/metric: expected 'ip' or 'l2' \(an index has no cosine metric: indexFactory\(d, description, 'cosine'\)/);
    expect(() => indexFactory(D, 'Flat', 'dot' as never)).toThrow(/metric: expected 'ip', 'l2' or 'cosine', got "dot"/);
    expect(() => parseFactory('IVF8,L2norm,Flat')).toThrow(/cannot parse "L2norm"/);
  });
});
