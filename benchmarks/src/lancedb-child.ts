/** LanceDB side of the ANN benchmarks, in a child process of its own (runLanceInChild starts it). */
import { readMemmap } from '@libvq/dataset/formats';
import { runLanceIvfPq } from './lancedb-runner.js';
import type { SystemSpec } from './system-run.js';
import { childMain, maxRssBytes } from './ts-child.js';

childMain(async (spec: SystemSpec & { nlist: number; M: number }) => {
  const base = await readMemmap(spec.basePath, spec.dim);
  const queries = await readMemmap(spec.queriesPath, spec.dim);
  const rssAfterLoadBytes = process.memoryUsage.rss(); // the resident set now, with the vectors loaded
  const run = await runLanceIvfPq(base, queries, { nlist: spec.nlist, M: spec.M, nprobes: spec.nprobes, k: spec.k, threads: spec.threads, metric: spec.metric });
  return { ...run, rssAfterLoadBytes, peakRssBytes: maxRssBytes() };
});
