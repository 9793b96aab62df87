/**
 * libvq-ts side of the ANN benchmarks, run in a child process of its own (ours-runner.ts starts it): reads
 * the vector files, trains (timing OPQ, coarse k-means and PQ separately), adds, searches every nprobe,
 * and reports its resident-set high-water mark.
 */
import { readMemmap } from '@libvq/dataset/formats';
import { closeThreadPool, indexFactory, type Index, type Matrix, serializeIndex } from '@libvq/index-core';
import { getBackend } from '@libvq/index-core/backend';
import { childMain, maxRssBytes } from './ts-child.js';
import { seconds, timedSweep } from './timed-batches.js';
import type { OursResult, OursSpec, SystemRun } from './system-run.js';

/**
 * index.train(base), its stages timed from the stage names of its progress reports: OPQ's last report ends the
 * rotation, the coarse k-means' ('ivf') last report ends it, the PQ codebooks take the rest.
 */
function trainTimed(index: Index, base: Matrix, spec: OursSpec): { trainS: number; phases?: SystemRun['phases'] } {
  const t0 = performance.now();
  const lastReport = new Map<string, number>();
  index.trainSync(base, { seed: spec.seed, onProgress: (_done, _total, stage) => lastReport.set(stage ?? '', performance.now()) });
  const end = performance.now();
  const kmeansEnd = lastReport.get('ivf');
  if (kmeansEnd === undefined) return { trainS: seconds(t0) };
  const opqEnd = lastReport.get('opq') ?? t0;
  return { trainS: seconds(t0), phases: { opqS: (opqEnd - t0) / 1000, kmeansS: (kmeansEnd - opqEnd) / 1000, pqS: (end - kmeansEnd) / 1000 } };
}

export async function runOurs(spec: OursSpec): Promise<OursResult> {
  const base = await readMemmap(spec.basePath, spec.dim);
  const queries = await readMemmap(spec.queriesPath, spec.dim);
  const rssAfterLoadBytes = process.memoryUsage.rss(); // the resident set now, with the vectors loaded
  getBackend(spec.backend); // an unknown backend fails here, with the registry's list of known ones
  const index = indexFactory(spec.dim, spec.factory, spec.metric, spec.backend, { opq: spec.opq });
  index.threads = spec.threads;
  const { trainS, phases } = trainTimed(index, base, spec);
  const t0 = performance.now();
  index.addSync(base);
  const addS = seconds(t0);
  const runs = timedSweep((nprobe) => index.searchSync(queries, { k: spec.k, nprobe }), spec.nprobes);
  const indexBytes = serializeIndex(index).byteLength;
  await closeThreadPool();
  return { threads: spec.threads, backend: index.backend.name, trainS, phases, addS, indexBytes, rssAfterLoadBytes, peakRssBytes: maxRssBytes(), runs };
}

childMain(runOurs);
