/**
 * js vs gpujs kernel timings (not a test: timings depend on the machine and on what else runs on it).
 *   node --conditions=source --import tsx packages/index-core/scripts/bench-gpujs.ts [--n 20000] [--reps 3]
 * Under xvfb-run with the native `gl` module built, mode 'gpu' (headless-gl) joins the table.
 *
 * Two kernels, each on the same inputs for every backend:
 *   assign      n × 256 centroids, d = 100 (one k-means / IVF assignment pass)
 *   ivfAdcScan  1000 queries over IVF256,PQ20x8 holding n vectors, nprobe 16 (the IVF-PQ search scan)
 * Each backend runs a kernel once untimed (gpu.js compiles its kernels on first use; that time is printed
 * as "first call"), then `reps` times; the median is reported. Every gpujs run has minWork 0 (no js
 * fallback) and is checked against js: assignment labels agree on ≥ 99.9% of rows, scan top-1 labels agree.
 */
import { parseArgs } from 'node:util';
import { type Backend, jsBackend, type Probes } from '../src/backend.js';
import { createRng, gaussian } from '../src/util.js';
import { indexFactory, type IndexIVFPQ, type Matrix } from '../src/index.js';
import { createGpujsBackend, type GpujsBackend } from '../src/gpujs.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '20000' }, reps: { type: 'string', default: '3' } } });
const n = Number(values.n);
const reps = Number(values.reps);
const d = 100;

function gaussianRows(rows: number, seed: number): Matrix {
  const rng = createRng(seed);
  const data = new Float32Array(rows * d);
  for (let i = 0; i < data.length; i++) data[i] = gaussian(rng);
  return { rows, dim: d, data };
}

function time<T>(f: () => T): { ms: number; out: T } {
  const t0 = performance.now();
  const out = f();
  return { ms: performance.now() - t0, out };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const x = gaussianRows(n, 1);
const centroids = gaussianRows(256, 2);
const queries = gaussianRows(1000, 3);
const index = indexFactory(d, 'IVF256,PQ20x8', 'ip') as IndexIVFPQ;
index.trainSync(gaussianRows(Math.min(n, 20000), 4), { seed: 1 });
index.addSync(x);
const nprobe = 16;
const coarse = jsBackend.knn(queries, index.quantizer.vectors, nprobe, 'ip');
const probes: Probes = { nprobe, lists: Int32Array.from(coarse.labels), bias: coarse.distances };
const tables = index.pq.computeTables(queries, 'ip', jsBackend);
const { M, ksub } = index.pq;

const kernels = {
  assign: (b: Backend) => b.assign(x, centroids).labels,
  ivfAdcScan: (b: Backend) => b.ivfAdcScan(tables, index.invlists, probes, M, ksub, 1, 'ip').labels,
};

const backends: [string, Backend][] = [['js', jsBackend]];
const made: GpujsBackend[] = [];
for (const mode of ['cpu', 'webasm', 'gpu'] as const) {
  try {
    const b = createGpujsBackend({ mode, minWork: 0 });
    made.push(b);
    backends.push([`gpujs ${mode}`, b]);
  } catch (e) {
    console.log(`gpujs ${mode}: not available here (${(e as Error).message.split(':')[0]})`);
  }
}

console.log(`n = ${n}, d = ${d}, reps = ${reps}, node ${process.version}`);
console.log('| kernel | backend | first call ms | median ms | vs js |');
console.log('|---|---|---|---|---|');
for (const [kname, run] of Object.entries(kernels)) {
  let jsMs = 0;
  let ref: ArrayLike<number> | null = null;
  for (const [bname, b] of backends) {
    const first = time(() => run(b));
    const runs: number[] = [];
    for (let r = 0; r < reps; r++) runs.push(time(() => run(b)).ms);
    const ms = median(runs);
    if (ref === null) {
      ref = first.out;
      jsMs = ms;
    } else {
      let same = 0;
      for (let i = 0; i < ref.length; i++) if (ref[i] === first.out[i]) same++;
      if (same < 0.999 * ref.length) throw new Error(`${kname} on ${bname}: only ${same}/${ref.length} labels agree with js`);
    }
    console.log(`| ${kname} | ${bname} | ${first.ms.toFixed(0)} | ${ms.toFixed(0)} | ${(ms / jsMs).toFixed(2)}x |`);
  }
}
for (const b of made) await b.dispose();
