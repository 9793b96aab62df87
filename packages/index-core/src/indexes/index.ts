import type { Backend } from '../backend/types.js';
import type { Matrix } from '../matrix.js';
import type { Metric } from '../metric.js';
import type { LongOperationOptions } from '../progress.js';

/** Per-call search options (faiss's SearchParameters). */
export interface SearchParams extends LongOperationOptions {
  /** Results per query; must be ≥ 1. Missing results are padded with label -1. */
  k: number;
  /** IVF lists probed per query; clamped to nlist (faiss does the same). Default: the index's nprobe. */
  nprobe?: number;
  /** Threads splitting the queries (default: the index's `threads`); results are identical for any value. */
  threads?: number;
}

/** rows×k results, best first: ip → inner products (descending), l2 → squared distances (ascending). */
export interface SearchResult {
  distances: Float32Array;
  labels: BigInt64Array;
}

export interface TrainOptions extends LongOperationOptions {
  seed?: number;
  /** Threads for k-means assignment and PQ training (default: the index's `threads`). */
  threads?: number;
}

export type Ids = BigInt64Array | Int32Array;

/** The one interface every index implements (faiss's Index). */
export interface Index {
  readonly d: number;
  readonly metric: Metric;
  readonly ntotal: number;
  readonly isTrained: boolean;
  backend: Backend;
  /**
   * Threads used by search, add and train (default 1: the calling thread only, no workers). Results are
   * byte-identical for any value; see parallel/pool.ts.
   */
  threads?: number;
  train(x: Matrix, opts?: TrainOptions): void;
  /** Adds vectors; ids default to ntotal, ntotal+1, ... */
  add(x: Matrix, ids?: Ids, opts?: LongOperationOptions): void;
  search(q: Matrix, params: SearchParams): SearchResult;
  /** The stored (possibly lossy) vector of an id. */
  reconstruct(id: number | bigint): Float32Array;
  /** Removes every vector, keeps the training. */
  reset(): void;
  /** Bytes held by the index's data structures (codes, ids, vectors, tables). */
  memoryBytes(): number;
}
