import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IndexPQ } from '@libvq/index-core';
import { gatherRows, sliceRows } from '@libvq/index-core/util';
import type { Matrix } from '@libvq/index-core';
import { BatchSampler, readAssignments, virtualLabels } from '../src/fit.js';
import { LearnableIndex } from '../src/index.js';
import { forwardBatch, totalLoss } from '../src/grad/index.js';
import { orthogonalityError } from '../src/optim/index.js';
import type { LearnableMethod } from '../src/index.js';
import { clustered, reconstructStored, rotateQuery } from './fixtures.js';

const d = 16;
const { docs, queries } = clustered(42, 500, 120, d);
const tmp = mkdtempSync(join(tmpdir(), 'libvq-li-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function create(method: LearnableMethod, metric: 'ip' | 'l2' = 'ip'): LearnableIndex {
  return LearnableIndex.create({ docEmbeddings: docs, indexMethod: method, subvectorNum: 4, subvectorBits: 4, ivfCentersNum: 6, distMode: metric, seed: 7 });
}

const fitOpts = {
  queryEmbeddings: queries, docEmbeddings: docs, relData: null, epochs: 2, batchSize: 16, perQueryNegNum: 3,
  temperature: 0.1, lr: { codebooks: 3e-3, centroids: 1e-3, rotation: 3e-3 }, seed: 5,
} as const;

/**
 * The distillation objective over the whole corpus with the stored assignments (what fit with docScope 'corpus'
 * and fixed codes descends), evaluated on a fixed set of queries: training must lower it.
 */
function corpusDistill(li: LearnableIndex, q: Matrix): number {
  const p = li.parts;
  const a = readAssignments(p);
  const fwd = forwardBatch(
    {
      metric: p.metric,
      rotation: p.rotation ? { dOut: p.d, dIn: p.dIn, data: p.rotation } : undefined,
      centroids: p.centroids ? { nlist: p.nlist, dim: p.d, data: p.centroids } : undefined,
      codebooks: p.codebooks ?? undefined,
    },
    { queries: q, docs, teacherQueries: q, teacherDocs: docs, docLists: a.lists ?? undefined, docCodes: a.codes ?? undefined, positives: new Int32Array(q.rows) },
    { loss: 'distill', temperature: fitOpts.temperature, scores: { dense: false } },
  );
  return totalLoss(fwd, { dense: 0, pq: 1, ivf: p.codebooks ? 0 : 1 });
}

/** Brute-force scores of the queries against every stored document, from the index's own parameters. */
function bruteForce(li: LearnableIndex, q: Matrix, k: number): Int32Array {
  const p = li.parts;
  const n = li.ntotal;
  const recon = reconstructStored(p);
  const out = new Int32Array(q.rows * k);
  for (let i = 0; i < q.rows; i++) {
    const qr = rotateQuery(p, q.data.subarray(i * q.dim, (i + 1) * q.dim));
    const sc = Array.from({ length: n }, (_, j) => {
      let s = 0;
      for (let t = 0; t < p.d; t++) s += p.metric === 'ip' ? qr[t] * recon[j * p.d + t] : -((qr[t] - recon[j * p.d + t]) ** 2);
      return { j, s };
    });
    sc.sort((x, y) => y.s - x.s);
    for (let r = 0; r < k; r++) out[i * k + r] = sc[r].j;
  }
  return out;
}

function expectSearchMatchesBruteForce(li: LearnableIndex, q: Matrix, kFactor?: number): void {
  const k = 5;
  const r = li.searchSync(q, { k, nprobe: 64, kFactor });
  const bf = bruteForce(li, q, k);
  let same = 0;
  for (let i = 0; i < bf.length; i++) if (Number(r.labels[i]) === bf[i]) same++;
  // float32 (index) vs float64 (here) may swap near-ties; everything else must agree
  expect(same / bf.length).toBeGreaterThan(0.97);
}

describe('virtual labels and the batch sampler', () => {
  const li = create('pq');
  it('rank 1 of the full search is the positive and ranks 2.. the hard negatives', () => {
    const q = sliceRows(queries, 0, 10);
    const v = virtualLabels(li.index, q, 20);
    const bf = bruteForce(li, q, 21);
    let agree = 0;
    for (let i = 0; i < 10; i++) {
      if (v.rels.get(i)![0] === bf[i * 21]) agree++;
      expect(v.negs.get(i)!.length).toBe(20);
      expect(Array.from(v.negs.get(i)!)).not.toContain(v.rels.get(i)![0]);
    }
    expect(agree).toBeGreaterThanOrEqual(9);
  });
  it('queries drawn from the documents (queryDocIds) never get themselves as a label', () => {
    const rows = [3, 50, 120, 499];
    const q = gatherRows(docs, rows);
    const plain = virtualLabels(li.index, q, 20);
    const v = virtualLabels(li.index, q, 20, 1, { queryDocIds: rows });
    const bf = bruteForce(li, q, 22);
    let selfFirst = 0;
    for (let i = 0; i < rows.length; i++) {
      if ([...Array.from(plain.rels.get(i)!), ...Array.from(plain.negs.get(i)!)].includes(rows[i])) selfFirst++;
      const labels = [...Array.from(v.rels.get(i)!), ...Array.from(v.negs.get(i)!)];
      expect(labels).not.toContain(rows[i]);
      expect(labels.length).toBe(21);
      // the same ranking as the full search, with the query's own document taken out
      const expected = Array.from(bf.subarray(i * 22, (i + 1) * 22)).filter((id) => id !== rows[i]).slice(0, 21);
      expect(labels[0]).toBe(expected[0]);
    }
    expect(selfFirst, 'without queryDocIds a document-query is among its own labels').toBe(rows.length);
    expect(() => virtualLabels(li.index, q, 20, 1, { queryDocIds: [1, 2] })).toThrow(/queryDocIds/);
  });
  it('is deterministic by seed, covers every labelled query once per epoch, and lays out positives then negatives', () => {
    const rels = new Map<number, number[]>([[0, [5]], [1, [6, 7]], [2, [8]], [4, [9]]]);
    const negs = new Map<number, number[]>([[0, [1, 2, 3]], [1, [4]]]);
    const s = new BatchSampler(rels, negs, 20, 2, 3, 11);
    const a = s.epoch(0);
    expect(JSON.stringify(new BatchSampler(rels, negs, 20, 2, 3, 11).epoch(0))).toBe(JSON.stringify(a));
    expect(JSON.stringify(s.epoch(1))).not.toBe(JSON.stringify(a));
    expect(a.map((b) => b.queries.length)).toEqual([3, 1]);
    const seen = a.flatMap((b) => Array.from(b.queries)).sort();
    expect(seen).toEqual([0, 1, 2, 4]);
    for (const b of a) {
      const B = b.queries.length;
      expect(b.docs.length).toBe(3 * B);
      for (let i = 0; i < B; i++) {
        const q = b.queries[i];
        expect(rels.get(q)).toContain(b.docs[i]);
        const ng = Array.from(b.docs.subarray(B + 2 * i, B + 2 * i + 2));
        if (q === 0) {
          expect(new Set(ng).size).toBe(2);
          for (const x of ng) expect([1, 2, 3]).toContain(x);
        } else if (q === 1) expect(ng).toEqual([4, 4]);
        else for (const x of ng) expect(rels.get(q)).not.toContain(x);
      }
    }
  });
});

describe('LearnableIndex', () => {
  for (const method of ['pq', 'opq', 'ivf_pq', 'ivf_opq', 'ivf'] as const) {
    for (const metric of ['ip', 'l2'] as const) {
      it(`${method} ${metric}: fit lowers the loss, keep holds every assignment, search stays exact`, () => {
        const li = create(method, metric);
        const before = readAssignments(li.parts);
        const cb0 = li.parts.codebooks ? Float32Array.from(li.parts.codebooks.data) : null;
        const c0 = li.parts.centroids ? Float32Array.from(li.parts.centroids) : null;
        const evalQ = sliceRows(queries, 0, 40);
        const loss0 = corpusDistill(li, evalQ);
        const rep = li.fitSync({ ...fitOpts, docScope: 'corpus', epochs: 3, writeBack: 'keep', lr: { codebooks: 1e-2, centroids: 1e-1, rotation: 1e-2 } });
        expect(rep.steps).toBe(3 * Math.ceil(120 / 16));
        const loss1 = corpusDistill(li, evalQ);
        expect(loss1).toBeLessThan(loss0 - 0.02); // decreases of 0.04-0.2 nats are seen; the floor is the teacher entropy
        const after = readAssignments(li.parts);
        expect(after.codes).toEqual(before.codes);
        expect(after.lists).toEqual(before.lists);
        if (cb0) expect(li.parts.codebooks!.data).not.toEqual(cb0);
        if (c0) expect(li.parts.centroids).not.toEqual(c0);
        expect(li.rotationError()).toBeLessThan(1e-4);
        if (li.parts.rotation) expect(orthogonalityError(li.parts.rotation, d, d)).toBeLessThan(1e-5);
        if (method !== 'ivf') expectSearchMatchesBruteForce(li, sliceRows(queries, 0, 30));
      });
    }
  }

  it('an OPQ that reduces the dimension (OPQ4_12 on 16-d, ip and l2): fit lowers the loss, rows stay orthonormal, search stays exact, save / load and reencode hold', () => {
    for (const [factory, metric] of [['OPQ4_12,IVF6,PQ4x4', 'ip'], ['OPQ4_12,PQ4x4', 'l2']] as const) {
      const li = LearnableIndex.fromFactory({ docEmbeddings: docs, factory, metric, seed: 7 });
      expect(li.parts.d).toBe(12);
      expect(li.parts.dIn).toBe(d);
      const evalQ = sliceRows(queries, 0, 40);
      const loss0 = corpusDistill(li, evalQ);
      li.fitSync({ ...fitOpts, docScope: 'corpus', epochs: 3, writeBack: 'keep', lr: { codebooks: 1e-2, centroids: 1e-1, rotation: 1e-2 } });
      expect(corpusDistill(li, evalQ), factory).toBeLessThan(loss0 - 0.02);
      expect(orthogonalityError(li.parts.rotation!, 12, d)).toBeLessThan(1e-5);
      expectSearchMatchesBruteForce(li, sliceRows(queries, 0, 30));
      const dir = join(tmp, `reduced${metric}`);
      li.save(dir);
      const back = LearnableIndex.load(dir);
      expect(back.describe()).toBe(factory);
      expect(back.searchSync(evalQ, { k: 10, nprobe: 3 }).labels).toEqual(li.searchSync(evalQ, { k: 10, nprobe: 3 }).labels);
    }
    const re = LearnableIndex.fromFactory({ docEmbeddings: docs, factory: 'OPQ4_12,IVF6,PQ4x4', metric: 'l2', seed: 7 });
    re.fitSync({ ...fitOpts, writeBack: 'reencode' });
    const a = readAssignments(re.parts);
    const e = re.index.encode(docs);
    expect(a.lists).toEqual(e.lists);
    expect(a.codes).toEqual(e.codes);
  });

  it('4-bit fast-scan (OPQ4,IVF6,PQ4x4fsr ip, PQ4x4fs l2): fit lowers the loss and the learned index is served by fast-scan', () => {
    for (const [factory, metric] of [['OPQ4,IVF6,PQ4x4fsr', 'ip'], ['PQ4x4fs', 'l2']] as const) {
      const li = LearnableIndex.fromFactory({ docEmbeddings: docs, factory, metric, seed: 7 });
      const evalQ = sliceRows(queries, 0, 40);
      const loss0 = corpusDistill(li, evalQ);
      li.fitSync({ ...fitOpts, docScope: 'corpus', epochs: 3, writeBack: 'keep', lr: { codebooks: 1e-2, centroids: 1e-1, rotation: 1e-2 } });
      expect(corpusDistill(li, evalQ), factory).toBeLessThan(loss0 - 0.02);
      expect(li.describe()).toBe(factory);
      // Re-ranked fast-scan is the learned model's exact ADC; the uint8 tables alone find nearly the same.
      expectSearchMatchesBruteForce(li, sliceRows(queries, 0, 30), 100);
      const q = sliceRows(queries, 0, 30);
      const exact = li.searchSync(q, { k: 5, nprobe: 64, kFactor: 100 });
      const quick = li.searchSync(q, { k: 5, nprobe: 64 });
      let same = 0;
      for (let i = 0; i < exact.labels.length; i++) if (exact.labels.subarray(i - (i % 5), i - (i % 5) + 5).includes(quick.labels[i])) same++;
      expect(same / exact.labels.length).toBeGreaterThan(0.85);
    }
    expect(() => LearnableIndex.fromFactory({ docEmbeddings: docs, factory: 'IVF6,PQ4x4fs', seed: 7 })).toThrow(/encodes the vectors themselves .*use "PQ<M>x4fsr"/);
  });

  it('a learning rate that makes training diverge fails with NON_FINITE naming the rates, never "completes"', () => {
    for (const lr of [{ codebooks: 1e30 }, { centroids: 1e30, codebooks: 3e-3 }]) {
      const li = create('ivf_pq', 'l2');
      let err: unknown = null;
      try {
        li.fitSync({ ...fitOpts, lr: { ...fitOpts.lr, ...lr }, writeBack: 'keep' });
      } catch (e) {
        err = e;
      }
      expect((err as { code?: string })?.code).toBe('NON_FINITE');
      expect((err as Error).message).toMatch(/fit: training diverged: .*lower the learning rates \(lr = \{.*1e\+30/);
    }
  });

  it('reencode: every document gets its nearest learned centroid and codeword (checked with index-core encoders)', () => {
    const li = create('ivf_opq', 'l2');
    li.fitSync({ ...fitOpts, writeBack: 'reencode' });
    const a = readAssignments(li.parts);
    const e = li.index.encode(docs); // rows in document order, as readAssignments orders them
    expect(a.lists).toEqual(e.lists);
    expect(a.codes).toEqual(e.codes);
  });

  it('documents added later are encoded like the stored ones: keep -> pre-training rule, reencode -> learned rule', () => {
    const extra = gatherRows(docs, Int32Array.from([3, 17, 250]));
    const keep = create('opq');
    const stored = readAssignments(keep.parts).codes!;
    keep.fitSync({ ...fitOpts, writeBack: 'keep' });
    keep.addSync(extra);
    const k = readAssignments(keep.parts);
    expect(keep.ntotal).toBe(503);
    const M = 4;
    for (const [i, row] of [3, 17, 250].entries()) expect(k.codes!.subarray((500 + i) * M, (501 + i) * M)).toEqual(stored.subarray(row * M, (row + 1) * M));

    const re = create('ivf_pq');
    re.fitSync({ ...fitOpts, writeBack: 'reencode' });
    const r0 = readAssignments(re.parts);
    re.addSync(extra);
    const r1 = readAssignments(re.parts);
    for (const [i, row] of [3, 17, 250].entries()) {
      expect(r1.lists![500 + i]).toBe(r0.lists![row]);
      expect(r1.codes!.subarray((500 + i) * M, (501 + i) * M)).toEqual(r0.codes!.subarray(row * M, (row + 1) * M));
    }
  });

  it('is deterministic: the same seed gives the same bytes', () => {
    const a = create('ivf_opq');
    const b = create('ivf_opq');
    a.fitSync(fitOpts);
    b.fitSync(fitOpts);
    expect(a.parts.codebooks!.data).toEqual(b.parts.codebooks!.data);
    expect(a.parts.rotation).toEqual(b.parts.rotation);
    expect(a.parts.centroids).toEqual(b.parts.centroids);
  });

  it('contrastive training on given labels, corpus scope, nearest codes', () => {
    const li = create('opq');
    const rels = new Map<number, number[]>();
    const v = virtualLabels(li.index, queries, 0);
    for (const [q, p] of v.rels) rels.set(q, Array.from(p));
    const rep = li.fitSync({ ...fitOpts, relData: rels, lossMethod: 'contras', docScope: 'corpus', codeAssignment: 'nearest', epochs: 3 });
    expect(rep.epochLoss[2]).toBeLessThan(rep.epochLoss[0]);
    expect(li.rotationError()).toBeLessThan(1e-4);
  });

  it('errors propagate: abort, nothing to train, wrong shapes', () => {
    const li = create('pq');
    const ac = new AbortController();
    ac.abort();
    expect(() => li.fitSync({ ...fitOpts, signal: ac.signal })).toThrow(/aborted/);
    expect(() => li.fitSync({ ...fitOpts, freeze: { codebooks: true } })).toThrow(/nothing to train/);
    expect(() => li.fitSync({ ...fitOpts, docEmbeddings: sliceRows(docs, 0, 10) })).toThrow(/docEmbeddings: 10 rows/);
    expect(() => li.fitSync({ ...fitOpts, relData: new Map([[0, [9999]]]) })).toThrow(/relData: query 0, document row/);
  });

  it('save / load: identical search, verified checksums and versions', () => {
    for (const method of ['ivf_opq', 'opq', 'ivf'] as const) {
      const li = create(method);
      li.fitSync(fitOpts);
      const dir = join(tmp, method);
      li.save(dir);
      li.save(dir); // overwriting an existing checkpoint is atomic and leaves nothing behind
      // dir links to its one version; the replaced version, temporaries and the published marks of old ones are gone
      expect(readdirSync(tmp).filter((f) => f.startsWith('.') && !/^\.\w+\.versions$/.test(f))).toEqual([]);
      const left = readdirSync(join(tmp, `.${method}.versions`));
      const current = readlinkSync(dir).split('/')[1];
      expect(left.sort()).toEqual([current, `${current}.done`]);
      const back = LearnableIndex.load(dir);
      const q = sliceRows(queries, 0, 20);
      const r1 = li.searchSync(q, { k: 10, nprobe: 3 });
      const r2 = back.searchSync(q, { k: 10, nprobe: 3 });
      expect(r2.labels).toEqual(r1.labels);
      expect(r2.distances).toEqual(r1.distances);
      expect(back.placer.parameters()).toEqual(li.placer.parameters());
      expect(back.describe()).toBe(li.describe());
    }
    const dir = join(tmp, 'opq');
    const f = join(dir, 'tensors.safetensors');
    const buf = readFileSync(f);
    buf[buf.length - 3] ^= 0xff;
    writeFileSync(f, buf);
    expect(() => LearnableIndex.load(dir)).toThrow(/sha256/);
    const man = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    man.version = 99;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(man));
    expect(() => LearnableIndex.load(dir)).toThrow(/version 99/);
  });

  it('wraps existing index-core indexes and rejects what it cannot train', () => {
    const pq = new IndexPQ(d, 4, 4, 'ip');
    expect(() => new LearnableIndex(pq)).toThrow(/trained/);
    pq.trainSync(docs, { seed: 1 });
    pq.addSync(docs);
    expect(new LearnableIndex(pq).method).toBe('pq');
  });
});
