/// <reference path="./js/wasm/webassembly.d.ts" />
import type { Matrix } from '../matrix.js';
import type { Metric } from '../metric.js';

/** n×k results, best first; labels are row numbers (kernels) or ids (indexes); -1 pads missing results. */
export interface KnnResult {
  distances: Float32Array;
  labels: Float64Array;
}

/** Inverted lists as the scan kernels see them: per list a block of codes (or vectors) and their ids. */
export interface ListView {
  /** Number of entries in each list. */
  readonly sizes: Int32Array;
  /** codes: bytes of list l are codes[l].subarray(0, sizes[l] * codeSize). */
  readonly codes: readonly Uint8Array[];
  readonly ids: readonly Float64Array[];
  /**
   * Optional: every list's codes are views of this shared WebAssembly memory (fastscan/arena.ts), so a WebAssembly
   * kernel instantiated over it scans them where they lie instead of copying them in.
   */
  readonly arena?: { readonly memory: WebAssembly.Memory };
  /**
   * Optional: the same ids back to back, list l's from offsets[l] (InvertedLists.contiguousIds): a result's id in one
   * load instead of three (the list's array, its store, the id), each likely a cache miss.
   */
  readonly flatIds?: { readonly ids: Float64Array; readonly offsets: Int32Array };
}

/** Which lists each query probes, and the score its coarse centroid contributes. */
export interface Probes {
  readonly nprobe: number;
  /** nq×nprobe list numbers, -1 when fewer lists exist. */
  readonly lists: Int32Array;
  /** nq×nprobe additive terms (ip: <q, c_l>; l2: ||q - c_l||²). */
  readonly bias: Float32Array;
}

/** 4-bit PQ codes in faiss's fast-scan block layout (fastscan/pack-blocks.ts), one block array per list. */
export interface PackedLists {
  /** Entries in each list; list l's blocks are blocks[l] (⌈sizes[l] / 32⌉ blocks of 16·M2 bytes). */
  readonly sizes: Int32Array;
  readonly blocks: readonly Uint8Array[];
  /**
   * Optional: every list's blocks are views of this shared WebAssembly memory (fastscan/arena.ts), so a
   * WebAssembly kernel instantiated over it scans them where they lie instead of copying them in.
   */
  readonly arena?: { readonly memory: WebAssembly.Memory };
}

/** Which lists each query's fast-scan probes, with the quantized (uint16) score each list adds. */
export interface Pq4Probes {
  readonly nprobe: number;
  /** nq×nprobe list numbers, -1 to skip. */
  readonly lists: Int32Array;
  /** nq×nprobe uint16 terms added to every code of the list (null: none). */
  readonly bias: Uint16Array | null;
  /** true: one table per (query, probe) (l2 with residuals); false: one per query, shared by its lists. */
  readonly lutPerProbe: boolean;
}

/** nq×k best entries as (list, offset in the list) with their integer scores; list -1 pads missing results. */
/** Fast-scan's uint8 tables of nq queries and how to read their scores back as distances. */
export interface Pq4Luts {
  /** nq × (nprobe or 1) × M2 × 16 uint8 (rows M..M2 zero). */
  luts: Uint8Array;
  /** nq × nprobe uint16 list terms (null: no bias given). */
  bias: Uint16Array | null;
  /** Per query: a quantized score s stands for the distance b + s / a. */
  a: Float32Array;
  b: Float32Array;
}

export interface Pq4Result {
  scores: Int32Array;
  lists: Int32Array;
  offsets: Int32Array;
}

/**
 * The coarse kernels every algorithm in index-core is written against (TensorFlow.js's lesson:
 * one call per batch, so a backend can parallelise or offload the whole batch).
 */
export interface Backend {
  readonly name: string;
  /** n×m matrix of scores: ip → x·y, l2 → ‖x − y‖². */
  distances(x: Matrix, y: Matrix, metric: Metric): Float32Array;
  /** Exact top-k rows of y for each row of x. */
  knn(x: Matrix, y: Matrix, k: number, metric: Metric): KnnResult;
  /**
   * Nearest centroid of each row of x (k-means, IVF assignment, PQ encoding): l2 (the default) the smallest
   * ‖x − c‖², ip the largest <x, c> (distances then hold that inner product). Ties go to the lower centroid. Part
   * of the contract for both metrics (the conformance suite checks both): k-means with an inner-product metric
   * assigns through it, with no k-NN result (float64 labels) to convert per iteration.
   */
  assign(x: Matrix, centroids: Matrix, metric?: Metric): { labels: Int32Array; distances: Float32Array };
  /**
   * Optional: assign's result, the same bytes, computed on `threads` threads the backend runs itself within this
   * call (native: onnxruntime's pool). k-means at several threads uses it instead of worker threads when present:
   * no shared copy of the points and no worker isolate, which at GloVe's size was 34 MB of the peak.
   */
  assignOnThreads?(x: Matrix, centroids: Matrix, metric: Metric, threads: number): { labels: Int32Array; distances: Float32Array };
  /**
   * Per query, the M×ksub table of sub-vector scores against the codewords
   * (codebooks laid out M×ksub×dsub as in faiss): ip → <q_m, c_mj>, l2 → ‖q_m − c_mj‖². With `out` (at least
   * rows·M·ksub floats, e.g. a scratch the caller reuses) the tables are written there and its front returned.
   */
  pqTables(q: Matrix, codebooks: Float32Array, M: number, ksub: number, metric: Metric, out?: Float32Array): Float32Array;
  /** Top-k over n codes (n×M bytes) by table look-ups, one table per query. */
  adcScan(tables: Float32Array, codes: Uint8Array, n: number, M: number, ksub: number, k: number, metric: Metric): KnnResult;
  /**
   * IVF-PQ scan: per query, scores every code of its probed lists as bias + Σ_m table[m][code_m].
   * `listTables` (optional, l2 with residuals) adds a per-list M×ksub term to the query's table. With `into`
   * (arrays of at least nq·k entries, e.g. views of the search's own result) the result is written there.
   */
  ivfAdcScan(
    tables: Float32Array,
    lists: ListView,
    probes: Probes,
    M: number,
    ksub: number,
    k: number,
    metric: Metric,
    listTables?: (list: number) => Float32Array,
    into?: KnnResult,
  ): KnnResult;
  /**
   * 4-bit fast-scan (faiss's pq4 kernels): per query, the top k over its probed lists of
   * bias + Σ_m luts[m][code_m], uint8 tables (16·M2 bytes each, laid out nq × (nprobe or 1) × M2 × 16) summed
   * in uint16; higher is better for 'ip', lower for 'l2'. With `into` (arrays of at least nq·k entries, a scratch
   * the caller reuses) the result is written there and their fronts returned.
   */
  pq4Scan(luts: Uint8Array, lists: PackedLists, probes: Pq4Probes, M2: number, k: number, metric: Metric, into?: Pq4Result): Pq4Result;
  /**
   * Fast-scan's table quantization, faiss's quantize_LUT_and_bias bit for bit: the float tables of nq queries
   * (nq × (nprobe or 1) × M × 16, one per probed list when `perProbe`) to pq4Scan's uint8 tables, with the optional
   * per-list bias (nq × nprobe floats; required when `perProbe`) as uint16 terms. With `into` (arrays of at least
   * the result's sizes, bias too when one is given) the result is written there and their fronts returned.
   */
  pq4Luts(tables: Float32Array, nq: number, M: number, M2: number, bias: Float32Array | null, nprobe: number, perProbe: boolean, into?: Pq4Luts): Pq4Luts;
  /** IVF-Flat scan: exact scores against the raw vectors stored in the probed lists. */
  ivfFlatScan(q: Matrix, lists: ListView, probes: Probes, k: number, metric: Metric): KnnResult;
}
