/**
 * libvq-ts side of the interleaved rounds (glove-rounds.ts), a fresh process per call: `build` trains and adds the
 * base and writes the index (faiss's format); `search` reads it with one backend and times a search of every query
 * at each nprobe (timed-batches.ts, as the ANN benchmark's child).
 */
import { readMemmap } from '@libvq/dataset/formats';
import { closeThreadPool, indexFactory, readIndexSync, writeIndexSync } from '@libvq/index-core';
import { childMain } from './ts-child.js';
import { timedSweep } from './timed-batches.js';

export interface RoundsSpec {
  mode: 'build' | 'search';
  indexPath: string;
  basePath: string;
  queriesPath: string;
  dim: number;
  factory: string;
  metric: 'ip' | 'l2';
  backend: string;
  threads: number;
  seed: number;
  nprobes: number[];
  k: number;
}

export interface RoundsResult {
  runs: { nprobe: number; seconds: number; reps: number; labels: Int32Array }[];
}

async function run(spec: RoundsSpec): Promise<RoundsResult> {
  if (spec.mode === 'build') {
    const base = await readMemmap(spec.basePath, spec.dim);
    const index = indexFactory(spec.dim, spec.factory, spec.metric, spec.backend);
    index.threads = spec.threads;
    index.trainSync(base, { seed: spec.seed });
    index.addSync(base);
    writeIndexSync(index, spec.indexPath);
    await closeThreadPool();
    return { runs: [] };
  }
  const queries = await readMemmap(spec.queriesPath, spec.dim);
  const index = readIndexSync(spec.indexPath, { backend: spec.backend });
  index.threads = spec.threads;
  const runs = timedSweep((nprobe) => index.searchSync(queries, { k: spec.k, nprobe }), spec.nprobes);
  await closeThreadPool();
  return { runs };
}

childMain(run);
