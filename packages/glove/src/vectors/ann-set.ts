import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createRng, gatherRows, invalidArgument, normalizeRows, sampleWithoutReplacement } from '@libvq/index-core/util';
import { matrix, type Matrix } from '@libvq/index-core';
import { exactInnerProductTopK } from './exact-search.js';
import { readGroundTruthCache, writeGroundTruthCache } from './ground-truth-cache.js';
import { loadGloveVectorsWithChecksum, type GloveSourceOptions } from './load-vectors.js';
import { cacheStem, defaultSourcePath, resolveCacheDir } from './paths.js';

export type GlovePhase = 'parse' | 'ground-truth';

export interface GloveAnnSetOptions extends Omit<GloveSourceOptions, 'onProgress'> {
  /** Seed of the held-out query choice (default 1234). */
  seed?: number;
  /** Words held out as queries (default 1000). */
  numQueries?: number;
  /** Ground-truth neighbours per query (default 100). */
  groundTruthK?: number;
  /** (done, total) within the phase: bytes of JSON parsed (first use only), then queries searched (when not cached). */
  onProgress?: (done: number, total: number, phase: GlovePhase) => void;
}

export interface GloveAnnSet {
  /** The words not held out, L2-normalised, in their original order. */
  base: Matrix;
  /** The held-out words, L2-normalised, in sampling order. */
  queries: Matrix;
  /** numQueries × k base row numbers of the exact inner-product top-k, best first. */
  groundTruth: Int32Array;
  /** The inner products of groundTruth (float32). */
  groundTruthScores: Float32Array;
  k: number;
  baseWords: string[];
  queryWords: string[];
  /** Row of each query in the full word list of loadGloveVectors. */
  queryRows: Int32Array;
}

/**
 * The GloVe-100 ANN benchmark set (like ann-benchmarks' glove-100, on wink's 341,479 words):
 * L2-normalise every vector, hold out `numQueries` words drawn by a seeded PRNG as queries, keep the
 * rest as the base, and take the exact inner-product top-k as ground truth. The ground truth (a
 * ~12 s brute force) is cached on disk per (seed, numQueries, k) and tied to the vectors' checksum.
 * Zero vectors stay zero (score 0 with everything), never NaN.
 */
export async function gloveAnnSet(opts: GloveAnnSetOptions = {}): Promise<GloveAnnSet> {
  const seed = opts.seed ?? 1234;
  const numQueries = opts.numQueries ?? 1000;
  const k = opts.groundTruthK ?? 100;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw invalidArgument('seed', 'an integer in [0, 2^32)', seed);
  const onProgress = opts.onProgress;
  const { words, vectors, checksum } = await loadGloveVectorsWithChecksum({
    ...opts,
    onProgress: onProgress && ((d, t) => onProgress(d, t, 'parse')),
  });
  const { rows, dim } = vectors;
  if (!Number.isInteger(numQueries) || numQueries < 1 || numQueries >= rows) {
    throw invalidArgument('numQueries', `an integer in [1, ${rows - 1}] (the data has ${rows} words)`, numQueries);
  }
  if (!Number.isInteger(k) || k < 1 || k > rows - numQueries) {
    throw invalidArgument('groundTruthK', `an integer in [1, ${rows - numQueries}] (the base size)`, k);
  }

  normalizeRows(vectors);
  const queryRows = sampleWithoutReplacement(rows, numQueries, createRng(seed));
  const queries = gatherRows(vectors, queryRows);
  const queryWords = Array.from(queryRows, (r) => words[r]);
  // Compact the base rows to the front of the (fresh) vector array instead of copying 137 MB.
  const held = new Uint8Array(rows);
  for (const r of queryRows) held[r] = 1;
  const nb = rows - numQueries;
  const baseWords = new Array<string>(nb);
  const data = vectors.data;
  let w = 0;
  for (let r = 0; r < rows; r++) {
    if (held[r]) continue;
    if (w !== r) data.copyWithin(w * dim, r * dim, (r + 1) * dim);
    baseWords[w++] = words[r];
  }
  const base = matrix(nb, dim, data.subarray(0, nb * dim));

  const source = opts.sourcePath ?? defaultSourcePath();
  const dir = resolveCacheDir(opts.cacheDir);
  const file = join(dir, `${cacheStem(source)}.ann-seed${seed}-q${numQueries}-k${k}.bin`);
  const key = { seed, numQueries, k, rows, vectorsChecksum: checksum, queryRows };
  let gt = await readGroundTruthCache(file, key);
  if (gt === null) {
    gt = exactInnerProductTopK(base, queries, k, {
      signal: opts.signal,
      onProgress: onProgress && ((d, t) => onProgress(d, t, 'ground-truth')),
    });
    await mkdir(dir, { recursive: true });
    await writeGroundTruthCache(file, key, gt);
  }
  return { base, queries, groundTruth: gt.ids, groundTruthScores: gt.scores, k, baseWords, queryWords, queryRows };
}
