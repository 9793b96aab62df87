/// <reference path="../backend/js/wasm/webassembly.d.ts" />
import type { SearchParams } from '../indexes/index.js';
import type { SearchResult } from '../indexes/search-result.js';
import type { Matrix } from '../matrix.js';
import type { Metric } from '../metric.js';

/** Everything a worker needs to rebuild an index over shared memory (see snapshot.ts / replica.ts). */
export interface IndexSnapshot {
  /** Changes whenever any buffer changes; workers cache their replica under it. */
  readonly key: number;
  /** The replica builder the index class registered (replica.ts): 'flat', 'pq', 'ivf-flat', 'ivf-pq'. */
  readonly kind: string;
  readonly d: number;
  readonly metric: Metric;
  readonly backend: string;
  readonly nlist: number;
  readonly M: number;
  readonly nbits: number;
  /** Coarse centroids (IVF), nlist×d. */
  readonly coarse?: Float32Array;
  /** PQ codebooks, M×ksub×dsub. */
  readonly codebooks?: Float32Array;
  /** Flat: ntotal×d vectors. */
  readonly vectors?: Float32Array;
  /** PQ: ntotal×M codes; IVF: every list's codes back to back, each list in its stored layout. */
  readonly codes?: Uint8Array;
  /** IVF: the WebAssembly memory `codes` lies in (a fast-scan index's arena: its kernel scans the lists in place). */
  readonly codesMemory?: WebAssembly.Memory;
  /** IVF: every list's ids back to back. */
  readonly ids?: Float64Array;
  /** IVF: nlist+1 entry offsets of the lists in codes / ids. */
  readonly offsets?: Int32Array;
}

/**
 * Rows 0..n-1 of a shared input, handed out in chunks: every thread takes the next chunk from the shared
 * counter until none is left, so a thread slowed down (a busy core) takes fewer chunks instead of holding
 * everyone up. Each row's result does not depend on which thread or chunk computed it.
 */
export interface RowRange {
  readonly n: number;
  /** Rows per chunk; with `split`, the fewest. */
  readonly chunk: number;
  /**
   * Guided chunks: a chunk taken at row r0 has ⌈(n − r0) / split⌉ rows (at least `chunk`), so the first are large and
   * the last small (searches: a large chunk's queries share the scan of each list they probe, the small ones even
   * out the threads at the end).
   */
  readonly split?: number;
  /** next[0]: the first row not yet taken. */
  readonly next: Int32Array;
}

export interface SearchJob extends RowRange {
  readonly op: 'search';
  readonly snap: IndexSnapshot;
  readonly queries: Float32Array;
  readonly k: number;
  readonly nprobe?: number;
  /** Fast-scan re-ranking factor (SearchParams.kFactor), when the caller gave one. */
  readonly kFactor?: number;
  readonly distances: Float32Array;
  readonly labels: Float64Array;
}

/** IVF: list assignment + codes; PQ: codes (lists left untouched). */
export interface EncodeJob extends RowRange {
  readonly op: 'encode';
  readonly snap: IndexSnapshot;
  readonly x: Float32Array;
  readonly lists: Int32Array;
  readonly codes: Uint8Array;
  readonly codeSize: number;
}

/** One k-means assignment step. */
export interface AssignJob extends RowRange {
  readonly op: 'assign';
  readonly x: Float32Array;
  readonly dim: number;
  readonly centroids: Float32Array;
  readonly metric: Metric;
  readonly backend: string;
  readonly labels: Int32Array;
  readonly distances: Float32Array;
}

/** PQ training; the rows handed out are the sub-spaces m. */
export interface PQTrainJob extends RowRange {
  readonly op: 'pq-train';
  readonly x: Float32Array;
  readonly d: number;
  readonly M: number;
  readonly nbits: number;
  readonly niter: number;
  readonly maxPointsPerCentroid: number;
  readonly seed: number;
  readonly backend: string;
  /** M×ksub×dsub: read for a hot start, written with the result. */
  readonly codebooks: Float32Array;
  readonly hotStart: boolean;
}

/** A job as the pool carries it; its owner registered the runner for `op` (jobs.ts). */
export type Job = { readonly op: string };

/** `result`: what the job's runner returned (structured-cloned), for jobs that answer with a value. */
export type Reply =
  | { type: 'done'; id: number; result?: unknown }
  | { type: 'error'; id: number; code?: string; message: string }
  /** Posted once by a worker whose message loop is up (the pool's start check; a first job may run for minutes). */
  | { type: 'ready'; id: 0 };

export interface Envelope {
  id: number;
  job: Job;
}

/**
 * What the thread layer needs of an index: a snapshot of itself for the workers (`share`), single-thread
 * search, and, for indexes that store codes, `encode` (exactly what add would store: the IVF list of each row,
 * when it has lists, and the codes).
 */
export interface ThreadIndex {
  readonly d: number;
  share(withData: boolean): IndexSnapshot;
  searchSync(q: Matrix, params: SearchParams): SearchResult;
  encode?(x: Matrix): { lists?: Int32Array; codes: Uint8Array };
}
