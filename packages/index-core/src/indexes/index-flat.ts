import { checkDimension } from '../limits.js';
import { getBackend } from '../backend/registry.js';
import type { Backend } from '../backend/types.js';
import { LibvqError } from '../errors.js';
import { checkMatrix, markUnchanging, type Matrix } from '../matrix.js';
import { checkMetric, type Metric } from '../metric.js';
import { parallelSearch } from '../parallel/ops.js';
import type { IndexSnapshot } from '../parallel/protocol.js';
import { registerReplica } from '../parallel/replica.js';
import { sharedArray, sharedOrCopy } from '../parallel/shared.js';
import { snapshotOf } from '../parallel/snapshot.js';
import type { VectorsInput } from '../input/vectors-input.js';
import { checkAdd, checkEncoded, checkSearch, idsFrom, floatBytes, idToNumber, searchPadded, threadsFor } from './checks.js';
import { IdMap, removeStoredRows } from './id-map.js';
import { IndexBase } from './index-base.js';
import type { AddOptions, EncodedVectors, Ids, Index, IndexParameters, SearchParams, StoredEntries, TrainOptions } from './index.js';
import { deliverResult, type SearchResult } from './search-result.js';

/**
 * Exact search over raw vectors (faiss's IndexFlatIP / IndexFlatL2). Ids are 0, 1, ... unless given with addWithIds
 * or kept across a remove (then stored, as faiss's IndexIDMap does; files get its "IxMp" wrapper).
 */
export class IndexFlat extends IndexBase {
  protected readonly kindName = 'IndexFlat';
  readonly d: number;
  readonly metric: Metric;
  readonly isTrained = true;
  backend: Backend;
  /** Threads splitting search queries (default 1: no workers). */
  threads = 1;
  private data: Float32Array;
  ntotal = 0;
  /** Bumped whenever the stored vectors change (add, reset, adoptVectors, parametersChanged): worker snapshots key on it. */
  private dataVersion = 0;
  /**
   * The matrix `vectors` hands out while dataVersion stays: the same object call after call, so the js backend keeps
   * its packed panels (backend/js/knn.ts) and a probe per query does not pack the coarse centroids again.
   */
  private view: { version: number; m: Matrix } | null = null;
  /** The id of each stored vector. */
  readonly idMap = new IdMap();

  constructor(d: number, metric: Metric = 'ip', backend?: string | Backend) {
    super();
    checkDimension(d, 'IndexFlat d');
    this.d = d;
    this.metric = checkMetric(metric);
    this.backend = getBackend(backend);
    this.data = new Float32Array(0);
  }

  /**
   * The stored vectors. The array itself when it holds exactly them (as add leaves it), so its identity is stable
   * from call to call: an IVF's snapshot for worker threads recognises its unchanged centroids by that identity;
   * a fresh view per call made every threaded search copy them again and rebuild every worker's replica (a
   * fast-scan index re-packed all its lists on the worker, per search).
   */
  get vectors(): Matrix {
    if (this.view?.version === this.dataVersion) return this.view.m;
    const n = this.ntotal * this.d;
    const m = markUnchanging({ rows: this.ntotal, dim: this.d, data: this.data.length === n ? this.data : this.data.subarray(0, n) });
    this.view = { version: this.dataVersion, m };
    return m;
  }

  /** Takes `data` (n×d values) as the stored vectors without copying (worker replicas over shared memory). */
  adoptVectors(data: Float32Array): void {
    this.data = data;
    this.ntotal = data.length / this.d;
    this.idMap.reset();
    this.idMap.append(this.ntotal);
    this.dataVersion++;
  }

  /** Nothing to train: the vectors are checked, as every index's training input is. */
  trainSync(x: VectorsInput, opts: TrainOptions = {}): void {
    this.input(x, 'train vectors', opts.column);
  }

  /** Nothing to train (no worker needed). */
  override async train(x: VectorsInput, opts: TrainOptions = {}): Promise<void> {
    this.trainSync(x, opts);
  }

  adoptTrained(): void {}

  /** The snapshot worker threads rebuild this index from (parallel/snapshot.ts caches it). */
  share(withData: boolean): IndexSnapshot {
    const model = { kind: 'flat', version: 0, d: this.d, metric: this.metric, backend: this.backend };
    return snapshotOf(this, model, withData ? { from: this.data, version: this.dataVersion, copy: () => ({ vectors: sharedOrCopy(this.vectors.data) }) } : undefined);
  }

  /** The index a snapshot describes, over its shared buffers (no copy). */
  static fromShared(s: IndexSnapshot): IndexFlat {
    const f = new IndexFlat(s.d, s.metric, s.backend);
    if (s.vectors) f.adoptVectors(s.vectors);
    return f;
  }

  addSync(x: VectorsInput, ids?: Ids, opts: AddOptions = {}): void {
    const m = this.input(x, 'add vectors', opts.column, true);
    checkAdd('IndexFlat', this.d, true, m, ids);
    this.appendVectors(m.data, m.rows, ids === undefined ? undefined : idsFrom(ids, 0, m.rows));
    opts.onProgress?.(m.rows, m.rows, 'add');
  }

  get codeSize(): number {
    return this.d * 4;
  }

  /** Raw storage: a vector's code is its float32 bytes. */
  encode(x: Matrix): EncodedVectors {
    checkMatrix(x, 'IndexFlat.encode vectors', this.d);
    return { rows: x.rows, codes: floatBytes(x.data.slice()) };
  }

  addEncoded(e: EncodedVectors, ids?: Ids): void {
    checkEncoded('IndexFlat', true, e, this.codeSize, 0, ids);
    const aligned = e.codes.byteOffset % 4 === 0 ? e.codes : e.codes.slice();
    this.appendVectors(new Float32Array(aligned.buffer, aligned.byteOffset, e.rows * this.d), e.rows, ids === undefined ? undefined : idsFrom(ids, 0, e.rows));
  }

  readEntries(opts: { codes?: boolean } = {}): StoredEntries {
    const ids = this.idMap.all();
    const codes = opts.codes === false ? new Uint8Array(0) : floatBytes(this.vectors.data.slice());
    return { rows: this.ntotal, ids, codes };
  }

  parameters(): IndexParameters {
    return { transforms: [], storage: 'vectors' };
  }

  parametersChanged(): void {
    this.dataVersion++;
  }

  remove(ids: Ids): number {
    const r = removeStoredRows(this.idMap, this.vectors.data, this.d, ids, 'IndexFlat.remove');
    if (r === null) return 0;
    this.data = r.rows;
    this.ntotal = r.rows.length / this.d;
    this.dataVersion++;
    return r.count;
  }

  cloneEmpty(): IndexFlat {
    const c = new IndexFlat(this.d, this.metric, this.backend);
    c.threads = this.threads;
    return c;
  }

  /** A copy holding copies of the stored vectors (an IVF's coarse quantizer: its vectors are the model). */
  cloneWithVectors(): IndexFlat {
    const c = this.cloneEmpty();
    c.appendVectors(this.vectors.data, this.ntotal);
    return c;
  }

  private appendVectors(data: Float32Array, n: number, ids?: Float64Array): void {
    // In shared memory from the start: worker threads read the stored vectors without a copy.
    const next = sharedArray(Float32Array, (this.ntotal + n) * this.d);
    next.set(this.data.subarray(0, this.ntotal * this.d));
    next.set(data.subarray(0, n * this.d), this.ntotal * this.d);
    this.data = next;
    this.ntotal += n;
    this.idMap.append(n, ids);
    this.dataVersion++;
  }

  searchSync(q: VectorsInput, params: SearchParams): SearchResult {
    const m = this.input(q, 'search queries', params?.column, true);
    checkSearch('IndexFlat', this.d, true, m, params);
    const threads = threadsFor('IndexFlat.search', params.threads, this.threads);
    if (threads > 1 && m.rows > 1) return this.labelsToIds(parallelSearch(this, m, params, Math.min(threads, m.rows)));
    return this.labelsToIds(deliverResult(searchPadded(m, params.k, this.ntotal, this.metric, (k) => this.backend.knn(m, this.vectors, k, this.metric)), params.out));
  }

  protected override labelsToIds(r: SearchResult): SearchResult {
    return this.idMap.mapLabels(r);
  }

  reconstruct(id: number | bigint): Float32Array {
    const i = this.idMap.positionOf(idToNumber(id, 'IndexFlat.reconstruct'), 'IndexFlat.reconstruct');
    return this.data.slice(i * this.d, (i + 1) * this.d);
  }

  reset(): void {
    this.data = new Float32Array(0);
    this.ntotal = 0;
    this.idMap.reset();
    this.dataVersion++;
  }

  memoryBytes(): number {
    return this.data.byteLength + this.idMap.memoryBytes();
  }
}

registerReplica('flat', IndexFlat.fromShared);
