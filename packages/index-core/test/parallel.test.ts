/**
 * Multi-core: every operation run with threads 2 and 3 must give exactly the bytes of the single-thread run
 * (the oracle; its own correctness is tested against brute force and faiss elsewhere), and a failure in a
 * worker must surface as a LibvqError.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  IndexFlat, IndexIVF, IndexIVFFlat, IndexIVFPQ, IndexPQ, type Index, LibvqError, type Matrix, ProductQuantizer, closeThreadPool, OPQMatrix, indexFactory, kmeans, serializeIndex,
} from '../src/index.js';
import { threadPoolSize } from '../src/util.js';
import { runParallel } from '../src/parallel/pool.js';
import { runModuleShares } from '../src/parallel/module-call.js';
import { GUIDED_MAX_ROWS, eachChunk } from '../src/parallel/rows.js';
import { squareRows } from './helpers/square-rows.js';
import { sharedRoundRows } from '../src/parallel/ops.js';
import { structuredData } from './helpers/data.js';

afterAll(() => closeThreadPool());

const train = structuredData(3000, 32, 5);
const base = structuredData(2500, 32, 6);
const queries = structuredData(37, 32, 7);

function bytes(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Everything an index stores, as bytes: centroids, codebooks, lists (codes + ids) or codes. */
function storage(idx: Index): Buffer {
  const parts: ArrayBufferView[] = [];
  if (idx instanceof IndexIVF) {
    parts.push(idx.quantizer.vectors.data);
    for (let l = 0; l < idx.nlist; l++) parts.push(idx.invlists.codes[l], idx.invlists.ids[l]);
  }
  if (idx instanceof IndexIVFPQ || idx instanceof IndexPQ) parts.push(idx.pq.centroids);
  if (idx instanceof IndexPQ) parts.push(idx.codes);
  if (idx instanceof IndexFlat) parts.push(idx.vectors.data);
  return Buffer.concat(parts.map(bytes));
}

function build(desc: string, metric: 'l2' | 'ip', threads: number): Index {
  const idx = indexFactory(32, desc, metric);
  idx.threads = threads;
  idx.trainSync(train, { seed: 9 });
  idx.addSync(base);
  if (idx instanceof IndexIVF) idx.nprobe = 4;
  return idx;
}

describe.each([
  ['IVF16,PQ8', 'l2'],
  ['IVF16,PQ8', 'ip'],
  ['IVF16,Flat', 'l2'],
  ['PQ8x6', 'ip'],
  ['Flat', 'l2'],
] as const)('%s %s', (desc, metric) => {
  const one = build(desc, metric, 1);
  const ref = one.searchSync(queries, { k: 10 });

  it('train + add with threads 2 and 3 store the same bytes as one thread', () => {
    for (const t of [2, 3]) expect(storage(build(desc, metric, t)).equals(storage(one))).toBe(true);
  });

  it('search with threads 2 and 3 returns the same distances and labels', () => {
    for (const t of [2, 3]) {
      const r = one.searchSync(queries, { k: 10, threads: t });
      expect(bytes(r.distances).equals(bytes(ref.distances))).toBe(true);
      expect(bytes(r.labels).equals(bytes(ref.labels))).toBe(true);
    }
    expect(ref.labels.some((l) => l >= 0n)).toBe(true);
  });
});

describe('encoding in rounds', () => {
  it('an add of more rows than one encode round (three rounds) stores the bytes of one thread, sync and async', async () => {
    const d = 512;
    const xt = structuredData(1200, d, 11);
    const xb = structuredData(2 * sharedRoundRows(d) + 77, d, 12);
    const trained = (threads: number) => {
      const idx = indexFactory(d, 'IVF8,PQ16x4', 'l2');
      idx.threads = threads;
      idx.trainSync(xt, { seed: 3 });
      return idx;
    };
    const one = trained(1);
    one.addSync(xb);
    const two = trained(2);
    two.addSync(xb);
    const twoAsync = trained(2);
    await twoAsync.add(xb);
    expect(one.ntotal).toBe(xb.rows);
    expect(storage(two).equals(storage(one))).toBe(true);
    expect(storage(twoAsync).equals(storage(one))).toBe(true);
  });
});

describe('shared copies follow the index', () => {
  it('Flat and PQ keep their stored data in shared memory: the workers\' snapshot views it, no copy', () => {
    const pq = build('PQ8', 'l2', 1) as IndexPQ;
    expect(pq.share(true).codes!.buffer).toBe(pq.codes.buffer);
    const flat = build('Flat', 'l2', 1) as IndexFlat;
    expect(flat.share(true).vectors!.buffer).toBe(flat.vectors.data.buffer);
  });

  it('an unchanged IVF index gives every threaded search the same snapshot (the workers keep their replica); add makes a new one', () => {
    for (const desc of ['IVF16,PQ8', 'IVF16,PQ8x4fs', 'IVF16,Flat']) {
      const idx = build(desc, 'l2', 1) as IndexIVF;
      const first = idx.share(true);
      expect(idx.share(true), desc).toBe(first);
      idx.searchSync(queries, { k: 5, threads: 2 });
      expect(idx.share(true), desc).toBe(first);
      idx.addSync(structuredData(50, 32, 9));
      const next = idx.share(true);
      expect(next.key, desc).not.toBe(first.key);
      expect(idx.share(true), desc).toBe(next);
    }
  });

  it('IVF lists: after a threaded search the index reads the workers\' shared copy (one copy in memory); adds and removes after it store what an unsearched index stores', () => {
    for (const desc of ['IVF16,PQ8', 'IVF16,PQ8x4fs', 'IVF16,Flat']) {
      const searched = build(desc, 'l2', 1) as IndexIVF;
      const plain = build(desc, 'l2', 1) as IndexIVF;
      searched.searchSync(queries, { k: 5, threads: 2 });
      const snap = searched.share(true);
      const lists = Array.from({ length: searched.nlist }, (_, l) => l).filter((l) => searched.invlists.sizes[l] > 0);
      expect(lists.length, desc).toBeGreaterThan(1);
      for (const l of lists) {
        expect(searched.invlists.codes[l].buffer, desc).toBe(snap.codes!.buffer);
        expect(searched.invlists.ids[l].buffer, desc).toBe(snap.ids!.buffer);
      }
      expect(storage(searched).equals(storage(plain)), desc).toBe(true);
      const copied = Buffer.from(snap.codes!).toString('hex') + Buffer.from(bytes(snap.ids!)).toString('hex');
      const more = structuredData(400, 32, 13);
      for (const idx of [searched, plain]) {
        idx.addSync(more);
        idx.remove(new BigInt64Array([3n, 2600n, 17n]));
      }
      expect(storage(searched).equals(storage(plain)), desc).toBe(true);
      // The copy the workers read is never written (a search still running on it sees what it was given).
      expect(Buffer.from(snap.codes!).toString('hex') + Buffer.from(bytes(snap.ids!)).toString('hex'), desc).toBe(copied);
      const r = searched.searchSync(queries, { k: 5, threads: 2 });
      const s = plain.searchSync(queries, { k: 5 });
      expect(bytes(r.labels).equals(bytes(s.labels)), desc).toBe(true);
    }
  });

  it('a threaded search after add and after an in-place codebook change sees the new data', () => {
    const idx = build('IVF16,PQ8', 'l2', 1) as IndexIVFPQ;
    idx.searchSync(queries, { k: 5, threads: 2 });
    idx.addSync(structuredData(300, 32, 8));
    let r = idx.searchSync(queries, { k: 5, threads: 2 });
    let s = idx.searchSync(queries, { k: 5 });
    expect(bytes(r.labels).equals(bytes(s.labels))).toBe(true);
    expect(r.labels.some((l) => l >= 2500n)).toBe(true);
    // training write-back changes codebooks and centroids in place
    for (let i = 0; i < idx.pq.centroids.length; i += 3) idx.pq.centroids[i] *= 1.5;
    idx.quantizer.vectors.data[0] += 1;
    idx.parametersChanged();
    r = idx.searchSync(queries, { k: 5, threads: 2 });
    s = idx.searchSync(queries, { k: 5 });
    expect(bytes(r.distances).equals(bytes(s.distances))).toBe(true);
  });
});

describe('k-means and PQ training', () => {
  const x: Matrix = structuredData(5000, 24, 12);

  it('kmeans (l2 and spherical ip) gives the same centroids and objective with threads 2 and 3', () => {
    for (const metric of ['l2', 'ip'] as const) {
      const a = kmeans(x, 40, { seed: 4, niter: 8, metric, spherical: metric === 'ip' });
      for (const t of [2, 3]) {
        const b = kmeans(x, 40, { seed: 4, niter: 8, metric, spherical: metric === 'ip', threads: t });
        expect(bytes(b.centroids.data).equals(bytes(a.centroids.data))).toBe(true);
        expect(bytes(b.objective).equals(bytes(a.objective))).toBe(true);
      }
    }
  });

  it('PQ training (cold and hot start) gives the same codebooks with threads 2 and 5', () => {
    const a = new ProductQuantizer(24, 6, 5);
    a.train(x, { seed: 2, niter: 6 });
    for (const t of [2, 5]) {
      const b = new ProductQuantizer(24, 6, 5);
      b.train(x, { seed: 2, niter: 6, threads: t });
      expect(bytes(b.centroids).equals(bytes(a.centroids))).toBe(true);
    }
    const hot1 = new ProductQuantizer(24, 6, 5);
    hot1.centroids.set(a.centroids);
    hot1.isTrained = true;
    const hot2 = new ProductQuantizer(24, 6, 5);
    hot2.centroids.set(a.centroids);
    hot2.isTrained = true;
    const y = structuredData(2000, 24, 13);
    hot1.train(y, { seed: 3, niter: 4, hotStart: true });
    hot2.train(y, { seed: 3, niter: 4, hotStart: true, threads: 2 });
    expect(bytes(hot2.centroids).equals(bytes(hot1.centroids))).toBe(true);
    expect(bytes(hot2.centroids).equals(bytes(a.centroids))).toBe(false);
  });
});

describe('OPQ training', () => {
  it('gives the same rotation with threads 2 (its inner PQ training split by sub-space), and OPQ,IVF,PQ the same bytes', () => {
    const x: Matrix = structuredData(3000, 24, 14);
    const a = new OPQMatrix(24, 6);
    a.train(x, { seed: 5, niter: 4, niterPq0: 4 });
    const b = new OPQMatrix(24, 6);
    b.train(x, { seed: 5, niter: 4, niterPq0: 4, threads: 2 });
    expect(bytes(b.A).equals(bytes(a.A))).toBe(true);
    const one = indexFactory(24, 'OPQ6,IVF8,PQ6x6', 'l2');
    const two = indexFactory(24, 'OPQ6,IVF8,PQ6x6', 'l2');
    two.threads = 2;
    for (const i of [one, two]) {
      i.trainSync(x, { seed: 6 });
      i.addSync(x);
    }
    expect(Buffer.from(serializeIndex(two)).equals(Buffer.from(serializeIndex(one)))).toBe(true);
  });
});

describe('errors and lifetime', () => {
  it('rejects a bad threads value, naming the parameter', () => {
    const idx = new IndexIVFFlat(32, 4);
    idx.trainSync(train);
    expect(() => idx.searchSync(queries, { k: 3, threads: 0 })).toThrow(/IndexIVF.search threads: expected an integer from 1 to 256, got 0/);
    expect(() => kmeans(train, 4, { threads: 1.5 })).toThrow(LibvqError);
  });

  it('an error thrown in a worker reaches the caller as a LibvqError with its code', () => {
    const bad = { op: 'nonsense' } as unknown as Parameters<typeof runParallel>[0][number];
    const ok = { op: "pq-train", n: 0, chunk: 1, next: new Int32Array(new SharedArrayBuffer(4)) } as unknown as Parameters<typeof runParallel>[0][number];
    let err: unknown;
    try {
      runParallel([ok, bad], () => undefined);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LibvqError);
    // A job no module registered a runner for is a libvq bug, coded INTERNAL.
    expect((err as LibvqError).code).toBe('INTERNAL');
    expect((err as LibvqError).message).toMatch(/index thread 1: index thread: no runner for job "nonsense"/);
    expect(threadPoolSize()).toBeGreaterThanOrEqual(1);
  });

  it("a module's function runs on the index threads ('call' jobs); a missing export is a clear error", () => {
    // A helper module's function (imported by the workers) over a shared counter: each thread takes chunks until none is left. Every row must
    // hold its own value (i²) and be written exactly once, whichever thread took it.
    const module = new URL('./helpers/square-rows.ts', import.meta.url).href;
    const n = 10_007;
    const job = { n, chunk: 7, next: new Int32Array(new SharedArrayBuffer(4)), out: new Float64Array(new SharedArrayBuffer(8 * n)), writes: new Int32Array(new SharedArrayBuffer(4 * n)) };
    // The calling thread's own share does nothing, so every row is the workers' work.
    runModuleShares(module, 'squareRows', [job, job, job], () => undefined);
    for (let i = 0; i < n; i++) {
      if (job.out[i] !== i * i || job.writes[i] !== 1) throw new Error(`row ${i}: ${job.out[i]} written ${job.writes[i]} times`);
    }
    expect(() => runModuleShares(module, 'nope', [null, null], () => undefined)).toThrow(/index thread 1: index thread: .*square-rows\.ts exports no function "nope"/);
  });

  it('guided chunks: each takes a share of the rows left (at least chunk, at most GUIDED_MAX_ROWS), every row once, on any number of threads', () => {
    const n = 100_003;
    const seen: [number, number][] = [];
    eachChunk({ n, chunk: 8, split: 4, next: new Int32Array(new SharedArrayBuffer(4)) }, (r0, r1) => seen.push([r0, r1]));
    let at = 0;
    for (const [r0, r1] of seen) {
      expect(r0).toBe(at);
      expect(r1 - r0).toBe(Math.min(n - r0, GUIDED_MAX_ROWS, Math.max(8, Math.ceil((n - r0) / 4))));
      at = r1;
    }
    expect(at).toBe(n);
    expect(seen[0][1]).toBe(GUIDED_MAX_ROWS); // the cap, not n / 4
    expect(seen[seen.length - 2][1] - seen[seen.length - 2][0]).toBe(8); // the floor
    // Three threads claiming at once (compare-exchange): every row written exactly once.
    const module = new URL('./helpers/square-rows.ts', import.meta.url).href;
    const job = { n, chunk: 8, split: 6, next: new Int32Array(new SharedArrayBuffer(4)), out: new Float64Array(new SharedArrayBuffer(8 * n)), writes: new Int32Array(new SharedArrayBuffer(4 * n)) };
    runModuleShares(module, 'squareRows', [job, job, job], () => squareRows(job));
    for (let i = 0; i < n; i++) {
      if (job.out[i] !== i * i || job.writes[i] !== 1) throw new Error(`row ${i}: ${job.out[i]} written ${job.writes[i]} times`);
    }
  });

  it('a process that searched with threads (synchronously and asynchronously) exits without closing the pool', () => {
    const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const script = `import { indexFactory } from ${JSON.stringify(src)};
      const x = { rows: 200, dim: 8, data: Float32Array.from({ length: 1600 }, (_, i) => Math.sin(i)) };
      const idx = indexFactory(8, 'IVF4,Flat', 'l2'); await idx.train(x); await idx.add(x);
      const r = idx.searchSync(x, { k: 1, nprobe: 4, threads: 2 });
      const a = await idx.search(x, { k: 1, nprobe: 4, threads: 2 });
      console.log('self-hits', r.labels.filter((l, i) => l === i).length, a.labels.filter((l, i) => l === i).length);`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('self-hits 200 200');
    expect(run.status).toBe(0);
  });
});
