/**
 * Training memory against corpus size (issue 13, point 1: "document vectors may come from a memory-mapped or
 * streamed file; per-step memory does not grow with the corpus"). A learned IVF1024,PQ10x8 (L2) on the synthetic
 * Gaussian mixture (synth-set.ts, d = 100) at 100,000 and 1,000,000 documents, trained (distill, docScope
 * 'batch', perQueryNegNum 4, 20,000 training queries, one epoch) with the documents either in memory (a Matrix read
 * whole) or read on demand from the .npy (openRowReader): training queries/s, the 'auto' temperature's time, and
 * the memory (peak RSS of the process, and the RSS the fit adds over what it started with).
 *
 *   node --conditions=source --import tsx benchmarks/src/train-memory.ts prepare --dir /tmp/libvq-train-memory
 *   node --conditions=source --import tsx benchmarks/src/train-memory.ts run --dir ... --rows 1000000 --docs file [--threads 2]
 *
 * `prepare` writes the base (1,000,000 rows) and the training queries as .npy, trains the index once on a seeded
 * sample of the base read from the file (createFromSource: the base is never in memory), saves it with all rows
 * (index-1000000) and with the first 100,000 rows added to the same trained parameters (index-100000), and mines
 * each one's virtual labels once (IVF search, nprobe 8: rank 1 the positive, ranks 2..50 the hard negatives) into
 * labels-N.bin, so that every `run` starts from the same index and labels and measures the training alone. Each
 * `run` is a process of its own (its peak RSS is its own) and prints one JSON line.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openVectors, readVectors } from '@libvq/dataset';
import { openRowReader } from '@libvq/dataset/formats';
import { serializeIndex, type Matrix } from '@libvq/index-core';
import { sliceRows } from '@libvq/index-core/util';
import { LearnableIndex, autoTemperature, type RelData } from '@libvq/train';
import { virtualLabels } from '@libvq/train/fit';
import { writeSynthSet } from './synth-set.js';

const DIM = 100;
const FULL = 1_000_000;
const NEG = 49;
const LABEL_NPROBE = 8;

function arg(argv: string[], name: string, def?: string): string {
  const i = argv.indexOf(name);
  const v = i >= 0 ? argv[i + 1] : def;
  if (v === undefined) throw new Error(`missing ${name}`);
  return v;
}

const mb = (bytes: number) => Math.round(bytes / (1 << 20));

/** Labels as one Int32 file: per query its positive, then NEG negatives (-1 where fewer were found). */
function saveLabels(path: string, rels: RelData, negs: RelData, nq: number): void {
  const out = new Int32Array(nq * (1 + NEG)).fill(-1);
  for (let q = 0; q < nq; q++) {
    const p = rels.get(q);
    if (p) out[q * (1 + NEG)] = p[0];
    const n = negs.get(q) ?? [];
    for (let t = 0; t < Math.min(NEG, n.length); t++) out[q * (1 + NEG) + 1 + t] = n[t];
  }
  writeFileSync(path, out);
}

function loadLabels(path: string, nq: number): { rels: RelData; negs: RelData } {
  const b = readFileSync(path);
  const a = new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  const rels: RelData = new Map();
  const negs: RelData = new Map();
  for (let q = 0; q < nq; q++) {
    const o = q * (1 + NEG);
    if (a[o] < 0) continue;
    rels.set(q, [a[o]]);
    let e = o + 1;
    while (e < o + 1 + NEG && a[e] >= 0) e++;
    negs.set(q, a.subarray(o + 1, e));
  }
  return { rels, negs };
}

/** The first `rows` rows of a vector file as a Matrix (read a batch at a time: only they are ever in memory). */
async function readPrefix(path: string, rows: number): Promise<Matrix> {
  const src = await openVectors(path);
  const data = new Float32Array(rows * src.dim);
  for await (const { start, matrix } of src.batches(50_000)) {
    if (start >= rows) break;
    data.set(matrix.data.subarray(0, Math.min(matrix.rows, rows - start) * src.dim), start * src.dim);
  }
  await src.close();
  return { rows, dim: src.dim, data };
}

async function prepare(argv: string[]): Promise<void> {
  const dir = arg(argv, '--dir');
  const nq = Number(arg(argv, '--queries', '20000'));
  mkdirSync(dir, { recursive: true });
  const base = join(dir, 'base.npy');
  const queriesPath = join(dir, 'queries.npy');
  let t = performance.now();
  if (!existsSync(base)) {
    await writeSynthSet({ rows: FULL, queries: nq, dim: DIM, components: 1000, seed: 1234 }, base, queriesPath, undefined, 'npy');
    console.log(`wrote ${base} and ${queriesPath} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  t = performance.now();
  const src = await openVectors(base);
  const li = await LearnableIndex.createFromSource(src, { indexMethod: 'ivf_pq', ivfCentersNum: 1024, subvectorNum: 10, subvectorBits: 8, distMode: 'l2', seed: 1234 });
  console.log(`IVF1024,PQ10x8 over ${li.ntotal} documents in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  li.save(join(dir, `index-${FULL}`));
  // The 100,000-document index: the same trained parameters, the first 100,000 rows.
  const small = new LearnableIndex(li.index.cloneEmpty());
  for await (const { start, matrix } of src.batches(50_000)) {
    if (start >= 100_000) break;
    small.addSync(sliceRows(matrix, 0, Math.min(matrix.rows, 100_000 - start)));
  }
  small.save(join(dir, 'index-100000'));
  await src.close();
  const queries = (await readVectors(queriesPath)).matrix;
  for (const x of [small, li]) {
    t = performance.now();
    const v = virtualLabels(x.index, queries, NEG, LABEL_NPROBE);
    saveLabels(join(dir, `labels-${x.ntotal}.bin`), v.rels, v.negs, queries.rows);
    console.log(`virtual labels (nprobe ${LABEL_NPROBE}, 1 + ${NEG}) over ${x.ntotal} documents in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
}

async function run(argv: string[]): Promise<void> {
  const dir = arg(argv, '--dir');
  const rows = Number(arg(argv, '--rows'));
  const mode = arg(argv, '--docs');
  const writeBack = arg(argv, '--write-back', 'keep') as 'keep' | 'reencode';
  const epochs = Number(arg(argv, '--epochs', '1'));
  const threads = Number(arg(argv, '--threads', '1'));
  const base = join(dir, 'base.npy');
  const t0 = performance.now();
  const li = LearnableIndex.load(join(dir, `index-${rows}`));
  li.index.threads = threads; // the step's score kernels (and the write-back's adds) on this many threads
  const queries = (await readVectors(join(dir, 'queries.npy'))).matrix;
  const { rels, negs } = loadLabels(join(dir, `labels-${rows}.bin`), queries.rows);
  // DocumentRows is not exported by name (the API budget): the type of fit's docEmbeddings.
  let docs: Parameters<LearnableIndex['fitSync']>[0]['docEmbeddings'];
  let close = () => {};
  if (mode === 'memory') {
    docs = rows === FULL ? (await readVectors(base)).matrix : await readPrefix(base, rows);
  } else if (mode === 'file') {
    const r = await openRowReader(base);
    docs = rows === r.rows ? r : { rows, dim: r.dim, gather: (x: Int32Array) => r.gather(x), block: (s: number, e: number) => r.block(s, e) };
    close = () => r.close();
  } else throw new Error(`--docs: 'memory' or 'file', got ${mode}`);
  const loadSeconds = (performance.now() - t0) / 1000;
  global.gc?.();
  const rssLoaded = process.memoryUsage.rss();
  let t = performance.now();
  const temperature = autoTemperature('l2', queries, docs, { seed: 1234 });
  const temperatureSeconds = (performance.now() - t) / 1000;
  global.gc?.();
  const rssBeforeFit = process.memoryUsage.rss();
  let rssMaxFit = rssBeforeFit;
  let rssMaxWriteBack = 0;
  t = performance.now();
  let tFirstStep = 0;
  let tLastStep = 0;
  const report = li.fitSync({
    queryEmbeddings: queries, docEmbeddings: docs, relData: rels, negData: negs, lossMethod: 'distill', docScope: 'batch',
    perQueryNegNum: 4, batchSize: 128, epochs, temperature, seed: 1234, writeBack,
    onProgress: (done, _total, stage) => {
      const r = process.memoryUsage.rss();
      if (stage !== 'fit') {
        if (r > rssMaxWriteBack) rssMaxWriteBack = r; // the re-encode write-back's 'add'
        return;
      }
      // Steps 2..last: the steps alone, without the setup before the first (readAssignments: O(corpus) once).
      const now = performance.now();
      if (done === 1) tFirstStep = now;
      tLastStep = now;
      if (r > rssMaxFit) rssMaxFit = r;
    },
  });
  const fitSeconds = (performance.now() - t) / 1000;
  close();
  const digest = createHash('sha256').update(serializeIndex(li.index)).digest('hex').slice(0, 16);
  console.log(JSON.stringify({
    rows, docs: mode, writeBack, epochs, threads, trainingQueries: queries.rows, steps: report.steps, loadSeconds: +loadSeconds.toFixed(2),
    temperature: +temperature.toPrecision(6), temperatureSeconds: +temperatureSeconds.toFixed(2),
    fitSeconds: +fitSeconds.toFixed(2), queriesPerSecond: Math.round(report.queriesPerSecond),
    setupSeconds: +((tFirstStep - t) / 1000).toFixed(2), stepQueriesPerSecond: Math.round((queries.rows * epochs - 128) / ((tLastStep - tFirstStep) / 1000)), // steps 2..last
    rssLoadedMB: mb(rssLoaded), rssBeforeFitMB: mb(rssBeforeFit), rssMaxFitMB: mb(rssMaxFit),
    fitAddsMB: mb(rssMaxFit - rssBeforeFit), writeBackSeconds: +(fitSeconds - report.seconds).toFixed(2), rssMaxWriteBackMB: mb(rssMaxWriteBack), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024), indexSha256: digest,
  }));
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'prepare') await prepare(rest);
else if (cmd === 'run') await run(rest);
else throw new Error("usage: train-memory.ts prepare|run --dir DIR [--rows N --docs memory|file]");
