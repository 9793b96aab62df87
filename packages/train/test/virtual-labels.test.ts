import { describe, expect, it } from 'vitest';
import { gatherRows, sliceRows } from '@libvq/index-core/util';
import type { Matrix } from '@libvq/index-core';
import { LearnableIndex } from '../src/index.js';
import {
  LABEL_POSITIVE_AGREEMENT, LABEL_RECALL, calibrateLabelNprobe, exactTopK, exactVirtualLabels, labelAgreement, readAssignments, virtualLabels,
  type VirtualLabels,
} from '../src/fit.js';
import type { DocumentRows } from '../src/learnable/doc-rows.js';
import { clustered, reconstructStored, rotateQuery } from './fixtures.js';

// The mined labels against float64 brute force: the 'index' labels are the ranking of the probed lists' documents
// by their reconstructed vectors, the 'exact' labels the ranking of all documents by their dense vectors.
const d = 16;
const { docs, queries } = clustered(21, 900, 120, d);
const li = LearnableIndex.create({ docEmbeddings: docs, indexMethod: 'ivf_pq', subvectorNum: 4, subvectorBits: 5, ivfCentersNum: 16, distMode: 'ip', seed: 3 });
const NEG = 30;
/** Float32 kernels against float64 sums: scores this close may come in either order. */
const TIE = 1e-5;

function dot(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, n: number): number {
  let s = 0;
  for (let t = 0; t < n; t++) s += a[ao + t] * b[bo + t];
  return s;
}

/** Candidates ranked by float64 score, ties to the lower id (what the labels must follow). */
function ranking(scores: Map<number, number>): number[] {
  return [...scores.keys()].sort((x, y) => scores.get(y)! - scores.get(x)! || x - y);
}

/**
 * Query i's labels (positive then negatives) against the oracle ranking: at every rank the label's float64 score
 * equals the oracle's there (within TIE), every label is a candidate, none repeats. Returns the exact matches.
 */
function checkLabels(v: VirtualLabels, i: number, scores: Map<number, number>, depth: number): number {
  const want = ranking(scores).slice(0, depth);
  const got = [...Array.from(v.rels.get(i)!), ...Array.from(v.negs.get(i)!)];
  expect(got.length).toBe(want.length);
  expect(new Set(got).size).toBe(got.length);
  let same = 0;
  for (let r = 0; r < want.length; r++) {
    expect(scores.has(got[r]), `query ${i} rank ${r + 1}: ${got[r]} is not a candidate`).toBe(true);
    expect(Math.abs(scores.get(got[r])! - scores.get(want[r])!)).toBeLessThanOrEqual(TIE);
    if (got[r] === want[r]) same++;
  }
  return same;
}

function denseScores(q: Matrix, i: number, skip = -1): Map<number, number> {
  const m = new Map<number, number>();
  for (let j = 0; j < docs.rows; j++) if (j !== skip) m.set(j, dot(q.data, i * d, docs.data, j * d, d));
  return m;
}

function rowSource(m: Matrix): DocumentRows {
  return { rows: m.rows, dim: m.dim, gather: (rows) => gatherRows(m, rows), block: (s, e) => sliceRows(m, s, e) };
}

describe('virtual labels against brute force', () => {
  it("'index' with nprobe 4: rank 1 and ranks 2..1+negNum of the 4 best lists' documents, scored from the index's parameters", () => {
    const p = li.parts;
    const a = readAssignments(p);
    const recon = reconstructStored(p);
    const q = sliceRows(queries, 0, 40);
    const nprobe = 4;
    const v = virtualLabels(li.index, q, NEG, nprobe);
    let same = 0;
    let checked = 0;
    for (let i = 0; i < q.rows; i++) {
      const qr = rotateQuery(p, q.data.subarray(i * d, (i + 1) * d));
      const lists = Array.from({ length: p.nlist }, (_, l) => ({ l, s: dot(qr, 0, p.centroids!, l * p.d, p.d) })).sort((x, y) => y.s - x.s);
      if (lists[nprobe - 1].s - lists[nprobe].s <= TIE) continue; // the probed lists themselves are a near-tie
      const probed = new Set(lists.slice(0, nprobe).map((x) => x.l));
      const scores = new Map<number, number>();
      for (let j = 0; j < li.ntotal; j++) if (probed.has(a.lists![j])) scores.set(j, dot(qr, 0, recon, j * p.d, p.d));
      same += checkLabels(v, i, scores, 1 + NEG);
      checked++;
    }
    expect(checked).toBeGreaterThan(35);
    expect(same / (checked * (1 + NEG))).toBeGreaterThan(0.98);
  });

  it("'exact': the dense ranking of every document, the same from a Matrix or a row source, any block size, 1 or 2 threads", () => {
    const q = sliceRows(queries, 0, 50);
    const base = exactVirtualLabels('ip', docs, q, NEG);
    let same = 0;
    for (let i = 0; i < q.rows; i++) same += checkLabels(base, i, denseScores(q, i), 1 + NEG);
    expect(same / (q.rows * (1 + NEG))).toBeGreaterThan(0.98);
    const a = exactTopK('ip', q, docs, 1 + NEG);
    for (const o of [{ blockRows: 97 }, { blockRows: 300, threads: 2 }, { blockRows: 1000, queryChunk: 7 }]) {
      const b = exactTopK('ip', q, rowSource(docs), 1 + NEG, o);
      expect(Buffer.from(b.labels.buffer).equals(Buffer.from(a.labels.buffer)), JSON.stringify(o)).toBe(true);
      expect(Buffer.from(b.distances.buffer).equals(Buffer.from(a.distances.buffer)), JSON.stringify(o)).toBe(true);
    }
  });

  it("'exact' with l2 ranks by the smallest squared distance; queries drawn from the documents never label themselves", () => {
    const own = [5, 77, 400, 899];
    const q = gatherRows(docs, own);
    const v = exactVirtualLabels('l2', docs, q, NEG, { queryDocIds: own });
    for (let i = 0; i < own.length; i++) {
      const scores = new Map<number, number>();
      for (let j = 0; j < docs.rows; j++) {
        if (j === own[i]) continue;
        let s = 0;
        for (let t = 0; t < d; t++) s -= (q.data[i * d + t] - docs.data[j * d + t]) ** 2;
        scores.set(j, s);
      }
      checkLabels(v, i, scores, 1 + NEG);
    }
    expect(() => exactVirtualLabels('ip', docs, q, NEG, { queryDocIds: [1] })).toThrow(/queryDocIds/);
  });

  it("nprobe 'auto' takes the first power of two whose sampled labels match the exhaustive scan's", () => {
    const c = calibrateLabelNprobe(li.index, 16, queries, NEG, { sample: 60, seed: 4 });
    expect(c.tried.map((t) => t.nprobe)).toEqual([1, 2, 4, 8, 16].slice(0, c.tried.length));
    const last = c.tried[c.tried.length - 1];
    expect(last.nprobe).toBe(c.chosen);
    const ok = (t: { positiveAgreement: number; labelRecall: number }) => t.positiveAgreement >= LABEL_POSITIVE_AGREEMENT && t.labelRecall >= LABEL_RECALL;
    expect(ok(last) || c.chosen === 16).toBe(true);
    for (const t of c.tried.slice(0, -1)) expect(ok(t)).toBe(false);
    // the figures are labelAgreement's on the sample, recomputed here for the chosen nprobe
    const full = virtualLabels(li.index, queries, NEG, 16);
    const got = virtualLabels(li.index, queries, NEG, c.chosen);
    const all = labelAgreement(full, got);
    expect(all.positiveAgreement).toBeGreaterThan(0.9);
    expect(labelAgreement(full, full)).toEqual({ positiveAgreement: 1, labelRecall: 1 });
  });

  it('fit reports how it mined, and refuses an nprobe the index does not have', () => {
    const opts = { queryEmbeddings: sliceRows(queries, 0, 64), docEmbeddings: docs, relData: null, epochs: 1, batchSize: 32, perQueryNegNum: 2, temperature: 0.1, seed: 1 } as const;
    const make = () => LearnableIndex.create({ docEmbeddings: docs, indexMethod: 'ivf_pq', subvectorNum: 4, subvectorBits: 5, ivfCentersNum: 16, distMode: 'ip', seed: 3 });
    const auto = make().fitSync(opts).labels!;
    expect(auto).toMatchObject({ method: 'index', nlist: 16, queries: 64 });
    expect(auto.nprobe).toBe(auto.calibration!.chosen);
    expect(make().fitSync({ ...opts, labelMining: { nprobe: 3 } }).labels).toMatchObject({ method: 'index', nprobe: 3, calibration: null });
    expect(make().fitSync({ ...opts, labelMining: { method: 'exact', threads: 2 } }).labels).toMatchObject({ method: 'exact', nprobe: null });
    expect(() => make().fitSync({ ...opts, labelMining: { nprobe: 17 } })).toThrow(/labelMining\.nprobe: expected 'auto' or an integer in \[1, 16\]/);
    expect(make().fitSync({ ...opts, relData: new Map([[0, [1]]]) }).labels).toBeNull();
  });
});
