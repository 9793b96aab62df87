import { checkDimension } from '../limits.js';
import { getBackend } from '../backend/registry.js';
import type { Backend } from '../backend/types.js';
import { LibvqError } from '../errors.js';
import { checkMatrix, type Matrix } from '../matrix.js';
import { checkMetric, type Metric } from '../metric.js';
import { parallelSearch } from '../parallel/ops.js';
import type { IndexSnapshot } from '../parallel/protocol.js';
import { registerReplica } from '../parallel/replica.js';
import { sharedArray, sharedOrCopy } from '../parallel/shared.js';
import { snapshotOf } from '../parallel/snapshot.js';
import { checkAdd, checkEncoded, checkSearch, idsFrom, rejectCustomIds, floatBytes, idToNumber, searchPadded, threadsFor } from './checks.js';
import type { EncodedVectors, Ids, Index, IndexParameters, SearchParams, SearchResult, StoredEntries } from './index.js';

/** Exact search over raw vectors (faiss's IndexFlatIP / IndexFlatL2). Ids are sequential. */
export class IndexFlat implements Index {
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

  constructor(d: number, metric: Metric = 'l2', backend?: string | Backend) {
    checkDimension(d, 'IndexFlat d');
    this.d = d;
    this.metric = checkMetric(metric);
    this.backend = getBackend(backend);
    this.data = new Float32Array(0);
  }

  /** The stored vectors as a matrix view. */
  get vectors(): Matrix {
    return { rows: this.ntotal, dim: this.d, data: this.data.subarray(0, this.ntotal * this.d) };
  }

  /** Takes `data` (n×d values) as the stored vectors without copying (worker replicas over shared memory). */
  adoptVectors(data: Float32Array): void {
    this.data = data;
    this.ntotal = data.length / this.d;
    this.dataVersion++;
  }

  trainSync(): void {}

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

  addSync(x: Matrix, ids?: Ids): void {
    checkAdd('IndexFlat', this.d, true, x, undefined);
    rejectCustomIds('IndexFlat.add', ids);
    this.appendVectors(x.data, x.rows);
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
    rejectCustomIds('IndexFlat.addEncoded', ids);
    const aligned = e.codes.byteOffset % 4 === 0 ? e.codes : e.codes.slice();
    this.appendVectors(new Float32Array(aligned.buffer, aligned.byteOffset, e.rows * this.d), e.rows);
  }

  readEntries(opts: { codes?: boolean } = {}): StoredEntries {
    const ids = idsFrom(undefined, 0, this.ntotal);
    const codes = opts.codes === false ? new Uint8Array(0) : floatBytes(this.vectors.data.slice());
    return { rows: this.ntotal, ids, codes };
  }

  parameters(): IndexParameters {
    return { transforms: [], storage: 'vectors' };
  }

  parametersChanged(): void {
    this.dataVersion++;
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

  private appendVectors(data: Float32Array, n: number): void {
    // In shared memory from the start: worker threads read the stored vectors without a copy.
    const next = sharedArray(Float32Array, (this.ntotal + n) * this.d);
    next.set(this.data.subarray(0, this.ntotal * this.d));
    next.set(data.subarray(0, n * this.d), this.ntotal * this.d);
    this.data = next;
    this.ntotal += n;
    this.dataVersion++;
  }

  searchSync(q: Matrix, params: SearchParams): SearchResult {
    checkSearch('IndexFlat', this.d, true, q, params);
    const threads = threadsFor('IndexFlat.search', params.threads, this.threads);
    if (threads > 1 && q.rows > 1) return parallelSearch(this, q, params, Math.min(threads, q.rows));
    return searchPadded(q, params.k, this.ntotal, this.metric, (k) => this.backend.knn(q, this.vectors, k, this.metric));
  }

  reconstruct(id: number | bigint): Float32Array {
    const i = idToNumber(id, 'IndexFlat.reconstruct');
    if (i >= this.ntotal) throw new LibvqError('INVALID_ARGUMENT', `IndexFlat.reconstruct: id ${i} is not in the index (ntotal = ${this.ntotal})`);
    return this.data.slice(i * this.d, (i + 1) * this.d);
  }

  reset(): void {
    this.data = new Float32Array(0);
    this.ntotal = 0;
    this.dataVersion++;
  }

  memoryBytes(): number {
    return this.data.byteLength;
  }
}

registerReplica('flat', IndexFlat.fromShared);
