import type { Backend } from '../backend/types.js';
import type { Matrix } from '../matrix.js';
import type { Metric } from '../metric.js';
import type { LongOperationOptions } from '../progress.js';
import type { VectorsInput } from '../input/vectors-input.js';
import type { SearchOutput, SearchResult } from './search-result.js';

export { SearchResult, type Neighbor, type SearchOutput } from './search-result.js';

/** Where the vectors of an Arrow table are (options of every method that takes vectors). */
export interface InputOptions {
  /** Arrow tables: the FixedSizeList<Float32> column (default: "embedding", else "vector", else the only such column). */
  column?: string;
}

/** Options of add / addWithIds. */
export interface AddOptions extends LongOperationOptions, InputOptions {}

/** Per-call search options (faiss's SearchParameters). */
export interface SearchParams extends LongOperationOptions, InputOptions {
  /** Results per query; must be ≥ 1. Missing results are padded with label -1. */
  k: number;
  /** IVF lists probed per query; clamped to nlist (faiss does the same). Default: the index's nprobe. */
  nprobe?: number;
  /** Threads splitting the queries (default: the index's `threads`); results are identical for any value. */
  threads?: number;
  /**
   * Fast-scan indexes (PQ<M>x4fs) only: keep k·kFactor candidates by the quantized (uint8-table) scores, then
   * re-score them with the float tables and return the best k with float distances (faiss's IndexRefine
   * k_factor, on the codes). Default: the index's kFactor (1: quantized scores, as faiss's fast-scan returns).
   */
  kFactor?: number;
  /**
   * Arrays of your own for the results (faiss's D and I): rows × k each. The search writes into them and the
   * SearchResult it returns views them. A loop that searches batch after batch into the same arrays allocates no
   * result arrays: fresh ones (1.2 MB a call for 1,000 queries at k = 100) stay held until V8's next garbage
   * collection. The arrays must not overlap each other or the queries; an async search owns them until it resolves.
   */
  out?: SearchOutput;
}

export interface TrainOptions extends LongOperationOptions, InputOptions {
  seed?: number;
  /** Threads for k-means assignment and PQ training (default: the index's `threads`). */
  threads?: number;
}

/**
 * Ids given to `addWithIds` / `addEncoded` / `remove`: integers 0 ≤ id ≤ 2^53 − 1 (larger ones are refused: they
 * do not survive as numbers, and faiss files store int64). Stored and returned as numbers (Float64Array).
 */
export type Ids = Float64Array | Int32Array | readonly number[] | BigInt64Array;

/**
 * What an index stores for a batch of vectors (faiss's sa_encode, split in its two parts): the inverted list of
 * each row (IVF indexes) and its codeSize bytes (PQ codes, or the float32 bytes of the vector for raw storage).
 * `addEncoded` stores exactly this; `add(x)` is `addEncoded(encode(x))`.
 */
export interface EncodedVectors {
  readonly rows: number;
  /** The inverted list of each row; present exactly when the index has lists (IVF). */
  readonly lists?: Int32Array;
  /** rows × codeSize bytes. */
  readonly codes: Uint8Array;
}

/** Every stored entry in storage order (list by list for IVF): its id with what `encode` gave for it. */
export interface StoredEntries extends EncodedVectors {
  readonly ids: Float64Array;
}

/** A learned linear map applied before an index (an OPQ rotation): y = matrix · x, matrix dOut × dIn row-major. */
export interface TransformParameters {
  /** 'opq' for an OPQ rotation; 'l2norm' for L2 normalisation (nothing learned: an empty matrix). */
  readonly kind: string;
  readonly dIn: number;
  readonly dOut: number;
  readonly matrix: Float32Array;
  /** False until the transform is trained (the matrix is then a placeholder). */
  readonly isTrained: boolean;
}

/** PQ codebooks: M sub-quantizers of ksub = 2^nbits codewords of dsub values, M × ksub × dsub. */
export interface CodebookParameters {
  readonly M: number;
  readonly nbits: number;
  readonly ksub: number;
  readonly dsub: number;
  readonly data: Float32Array;
}

/**
 * The trained parameters of an index, as views of its own storage: whoever writes them in place (training)
 * calls `parametersChanged()` afterwards, the one signal that cached tables and worker snapshots are stale.
 */
export interface IndexParameters {
  /** Transforms applied before the index (IndexPreTransform's chain), in the order they are applied. */
  readonly transforms: readonly TransformParameters[];
  /** IVF: the number of inverted lists (also before training). */
  readonly nlist?: number;
  /** IVF: the coarse centroids, nlist × d (the coarse quantizer's stored vectors; 0 rows until trained). */
  readonly centroids?: Matrix;
  /** PQ codebooks (IVF-PQ: they encode the residual of a vector to its list's centroid, unless byResidual is false). */
  readonly codebooks?: CodebookParameters;
  /** IVF-PQ: false when the codes encode the vectors themselves (fast-scan "x4fs", faiss's by_residual false). */
  readonly byResidual?: boolean;
  /** What an entry's code holds: PQ codes ('pq') or the raw float32 vector ('vectors'). */
  readonly storage: 'pq' | 'vectors';
}

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
  /** Indexes with inverted lists: the lists probed when a search does not say (faiss's nprobe); else undefined. */
  nprobe?: number;
  /**
   * Trains on x, on a worker thread (the event loop stays free; the trained index is byte-identical to trainSync's
   * with the same seed).
   */
  train(x: VectorsInput, opts?: TrainOptions): Promise<void>;
  /** train, on the calling thread (plus `threads - 1` workers). */
  trainSync(x: VectorsInput, opts?: TrainOptions): void;
  /** Adds vectors with ids ntotal, ntotal + 1, ... (encoded on worker threads; the event loop stays free). */
  add(x: VectorsInput, opts?: AddOptions): Promise<void>;
  /** Adds vectors with the given ids (faiss's add_with_ids; for Flat and PQ, what faiss's IndexIDMap adds). */
  addWithIds(x: VectorsInput, ids: Ids, opts?: AddOptions): Promise<void>;
  /** add / addWithIds on the calling thread (plus `threads - 1` workers); ids default to ntotal, ntotal + 1, ... */
  addSync(x: VectorsInput, ids?: Ids, opts?: AddOptions): void;
  /** The k best entries of each query, searched on worker threads (`threads` of them; the event loop stays free). */
  search(q: VectorsInput, params: SearchParams): Promise<SearchResult>;
  /** search on the calling thread (plus `threads - 1` workers); the same results, byte for byte. */
  searchSync(q: VectorsInput, params: SearchParams): SearchResult;
  /** Removes the entries with these ids (absent ids are ignored); returns how many went. The others keep their ids. */
  remove(ids: Ids): number;
  /** The stored (possibly lossy) vector of an id. */
  reconstruct(id: number | bigint): Float32Array;
  /** Removes every vector, keeps the training. */
  reset(): void;
  /** Bytes of one stored entry's code (faiss's code_size; raw storage: 4·d). */
  readonly codeSize: number;
  /** What `add` would store for x (each row's list and code), without storing it. */
  encode(x: Matrix): EncodedVectors;
  /** Stores encoded entries (from `encode`, possibly of another process or of a frozen copy); ids as in `add`. */
  addEncoded(entries: EncodedVectors, ids?: Ids): void;
  /** Every stored entry with its id (`codes: false` leaves the codes out: an empty array). */
  readEntries(opts?: { codes?: boolean }): StoredEntries;
  /** The trained parameters, as views of the index's own storage (see IndexParameters). */
  parameters(): IndexParameters;
  /** Call after writing trained parameters in place: drops cached tables and worker snapshots. */
  parametersChanged(): void;
  /** An independent copy of the trained index holding no entries (its parameters are copies, not views). */
  cloneEmpty(): Index;
  /** Bytes held by the index's data structures (codes, ids, vectors, tables). */
  memoryBytes(): number;
}
