/**
 * libvq-ts side of the ANN benchmarks, run in a child process of its own (ours-runner.ts starts it): reads
 * the vector files, trains (timing OPQ, coarse k-means and PQ separately), adds, searches every nprobe,
 * and reports its resident-set high-water mark.
 */
import { readMemmap } from '@libvq/dataset';
import { closeThreadPool, getBackend, IndexIVF, IndexPreTransform, indexFactory, type Matrix, OPQMatrix, serializeIndex, sliceRows } from '@libvq/index-core';
import { childMain, maxRssBytes } from './ts-child.js';
import type { OursResult, OursSpec, SystemRun } from './system-run.js';

const seconds = (t0: number) => (performance.now() - t0) / 1000;

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
  let t0 = performance.now();
  index.add(base);
  const addS = seconds(t0);
  const runs: SystemRun['runs'] = [];
  for (const nprobe of spec.nprobes) {
    index.search(sliceRows(queries, 0, Math.min(10, queries.rows)), { k: spec.k, nprobe }); // warm-up (JIT, tables)
    t0 = performance.now();
    const r = index.search(queries, { k: spec.k, nprobe });
    const s = seconds(t0);
    runs.push({ nprobe, seconds: s, labels: Int32Array.from(r.labels, Number) });
  }
  const indexBytes = serializeIndex(index).byteLength;
  await closeThreadPool();
  return { threads: spec.threads, backend: index.backend.name, trainS, phases, addS, indexBytes, rssAfterLoadBytes, peakRssBytes: maxRssBytes(), runs };
}

childMain(runOurs);
