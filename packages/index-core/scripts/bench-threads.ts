/**
 * Single-thread vs multi-thread timings of IVF256,PQ20x8 on random normalized vectors (not a test: timings
 * depend on the machine and on what else runs on it).
 *   node --conditions=source --import tsx packages/index-core/scripts/bench-threads.ts [--n 50000] [--threads 2]
 * Prints train (k-means + PQ), add and search q/s at nprobe 16 for threads 1 and N, and checks the
 * results are byte-identical.
 */
import { parseArgs } from 'node:util';
import { closeThreadPool, indexFactory, type IndexIVFPQ, kmeans, type Matrix } from '../src/index.js';
import { createRng, gaussian } from '../src/util.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '50000' },
    nq: { type: 'string', default: '2000' },
    threads: { type: 'string', default: '2' },
    nprobe: { type: 'string', default: '16' },
  },
});
const n = Number(values.n);
const nq = Number(values.nq);
const threads = Number(values.threads);
const nprobe = Number(values.nprobe);
const d = 100;

function normalized(rows: number, seed: number): Matrix {
  const rng = createRng(seed);
  const data = new Float32Array(rows * d);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (data[i * d + j] = gaussian(rng)) ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < d; j++) data[i * d + j] *= inv;
  }
  return { rows, dim: d, data };
}

/** Cores actually obtained during the last seconds() call: process CPU time (all threads) / wall time. */
let cores = 0;
function seconds(f: () => void): number {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  f();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  cores = (c.user + c.system) / 1e6 / wall;
  return wall;
}

const base = normalized(n, 1);
const queries = normalized(nq, 2);
console.log(`IVF256,PQ20x8 on ${n} x ${d} random normalized vectors, ${nq} queries, nprobe ${nprobe}, k 10`);

// Warm the worker pool (thread start-up is not what is measured).
kmeans(base, 8, { niter: 1, threads });

const km: Record<number, number> = {};
const kmCores: Record<number, number> = {};
for (const t of [1, threads]) {
  km[t] = seconds(() => kmeans(base, 256, { niter: 25, seed: 1234, threads: t }));
  kmCores[t] = cores;
}
console.log(`k-means 256 x 25 iters (${Math.min(n, 256 * 256)} points): 1 thread ${km[1].toFixed(2)} s, ${threads} threads ${km[threads].toFixed(2)} s (x${(km[1] / km[threads]).toFixed(2)}; cores busy ${kmCores[1].toFixed(2)} / ${kmCores[threads].toFixed(2)})`);

const results: Record<number, { train: number; add: number; qps: number; bytes: Buffer }> = {};
for (const t of [1, threads]) {
  const idx = indexFactory(d, 'IVF256,PQ20x8', 'l2') as IndexIVFPQ;
  idx.threads = t;
  const train = seconds(() => idx.trainSync(base, { seed: 1234 }));
  const add = seconds(() => idx.addSync(base));
  idx.searchSync(queries.rows > 100 ? { rows: 100, dim: d, data: queries.data.subarray(0, 100 * d) } : queries, { k: 10, nprobe });
  let r = idx.searchSync(queries, { k: 10, nprobe });
  const reps = 3;
  const s = seconds(() => {
    for (let i = 0; i < reps; i++) r = idx.searchSync(queries, { k: 10, nprobe });
  });
  const searchCores = cores;
  results[t] = { train, add, qps: (reps * nq) / s, bytes: Buffer.concat([Buffer.from(r.distances.buffer), Buffer.from(r.labels.buffer)]) };
  console.log(`threads ${t}: train ${train.toFixed(2)} s, add ${add.toFixed(2)} s, search ${results[t].qps.toFixed(0)} q/s (cores busy ${searchCores.toFixed(2)})`);
}
console.log(`speed-up with ${threads} threads: search x${(results[threads].qps / results[1].qps).toFixed(2)}, train x${(results[1].train / results[threads].train).toFixed(2)}, add x${(results[1].add / results[threads].add).toFixed(2)}`);
console.log(`results identical: ${results[1].bytes.equals(results[threads].bytes)}`);
await closeThreadPool();
