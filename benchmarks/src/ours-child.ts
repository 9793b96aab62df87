/**
 * libvq-ts side of the ANN benchmarks, run in a child process of its own (ours-runner.ts starts it): reads
 * the vector files, trains (timing OPQ, coarse k-means and PQ separately), adds, searches every nprobe,
 * and reports its resident-set high-water mark.
 */
import { readMemmap } from '@libvq/dataset';
import { closeThreadPool, IndexIVF, IndexPreTransform, indexFactory, type Matrix, OPQMatrix, serializeIndex } from '@libvq/index-core';
import { getBackend } from '@libvq/index-core/backend';
import { childMain, maxRssBytes } from './ts-child.js';
import type { OursResult, OursSpec, SystemRun } from './system-run.js';

const seconds = (t0: number) => (performance.now() - t0) / 1000;

/**
 * Search timing, the same in faiss_ivfpq.py: one untimed pass over the whole batch (JIT, caches), then
 * timed passes until they add up to SEARCH_MIN_S (at least one, at most SEARCH_MAX_REPS); the median.
 */
const SEARCH_MIN_S = 0.5;
const SEARCH_MAX_REPS = 10;
function timedBatches(pass: () => void): { seconds: number; reps: number } {
  pass();
  const times: number[] = [];
  let total = 0;
  while (times.length < SEARCH_MAX_REPS && (times.length === 0 || total < SEARCH_MIN_S)) {
    const t0 = performance.now();
    pass();
    times.push(seconds(t0));
    total += times[times.length - 1];
  }
  times.sort((a, b) => a - b);
  return { seconds: times[times.length >> 1], reps: times.length };
}

/**
 * index.train(base) in its pieces, timed. This is what IndexPreTransform.train and IndexIVF.train do
 * (each transform trained with the seed then applied; then the IVF: k-means, then the PQ on residuals);
 * the end of the coarse k-means is its last progress report (IVF training reports only k-means progress).
 */
function trainTimed(index: ReturnType<typeof indexFactory>, base: Matrix, spec: OursSpec): { trainS: number; phases?: SystemRun['phases'] } {
  const t0 = performance.now();
  let x = base;
  let inner = index;
  let opqS = 0;
  if (index instanceof IndexPreTransform) {
    for (const t of index.chain) {
      if (t instanceof OPQMatrix) {
        t.niter = spec.opq?.niter ?? t.niter;
        t.maxTrainPoints = spec.opq?.maxTrainPoints ?? t.maxTrainPoints;
      }
      t.train(x, { seed: spec.seed });
      x = t.apply(x);
    }
    opqS = seconds(t0);
    inner = index.index;
  }
  if (!(inner instanceof IndexIVF)) {
    inner.train(x, { seed: spec.seed });
    return { trainS: seconds(t0) };
  }
  const tIvf = performance.now();
  let kmeansEnd: number | undefined;
  inner.train(x, {
    seed: spec.seed,
    onProgress: (done, total) => {
      if (done === total && kmeansEnd === undefined) kmeansEnd = performance.now();
    },
  });
  const end = performance.now();
  const kmeansS = ((kmeansEnd ?? end) - tIvf) / 1000;
  return { trainS: seconds(t0), phases: { opqS, kmeansS, pqS: (end - (kmeansEnd ?? end)) / 1000 } };
}

export async function runOurs(spec: OursSpec): Promise<OursResult> {
  const base = await readMemmap(spec.basePath, spec.dim);
  const queries = await readMemmap(spec.queriesPath, spec.dim);
  const rssAfterLoadBytes = process.memoryUsage.rss(); // the resident set now, with the vectors loaded
  getBackend(spec.backend); // an unknown backend fails here, with the registry's list of known ones
  const index = indexFactory(spec.dim, spec.factory, spec.metric, spec.backend);
  index.threads = spec.threads;
  const { trainS, phases } = trainTimed(index, base, spec);
  const t0 = performance.now();
  index.add(base);
  const addS = seconds(t0);
  const runs: SystemRun['runs'] = [];
  for (const nprobe of spec.nprobes) {
    let last: ReturnType<typeof index.search> | undefined;
    const t = timedBatches(() => {
      last = index.search(queries, { k: spec.k, nprobe });
    });
    runs.push({ nprobe, ...t, labels: Int32Array.from(last!.labels, Number) });
  }
  const indexBytes = serializeIndex(index).byteLength;
  await closeThreadPool();
  return { threads: spec.threads, backend: index.backend.name, trainS, phases, addS, indexBytes, rssAfterLoadBytes, peakRssBytes: maxRssBytes(), runs };
}

childMain(runOurs);
