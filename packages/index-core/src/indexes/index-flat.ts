import { checkDimension } from '../limits.js';
import { getBackend } from '../backend/registry.js';
import type { Backend } from '../backend/types.js';
import { LibvqError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { checkMetric, type Metric } from '../metric.js';
import { parallelSearch } from '../parallel/ops.js';
import type { IndexSnapshot } from '../parallel/protocol.js';
import { registerReplica } from '../parallel/replica.js';
import { sharedCopy } from '../parallel/shared.js';
import { snapshotOf } from '../parallel/snapshot.js';
import { checkAdd, checkSearch, idToNumber, searchPadded, threadsFor } from './checks.js';
import type { Ids, Index, SearchParams, SearchResult } from './index.js';

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
  }

  train(): void {}

  /** The snapshot worker threads rebuild this index from (parallel/snapshot.ts caches it). */
  share(withData: boolean): IndexSnapshot {
    const model = { kind: 'flat', d: this.d, metric: this.metric, backend: this.backend };
    return snapshotOf(this, model, withData ? { from: this.data, version: this.ntotal, copy: () => ({ vectors: sharedCopy(this.vectors.data) }) } : undefined);
  }

  /** The index a snapshot describes, over its shared buffers (no copy). */
  static fromShared(s: IndexSnapshot): IndexFlat {
    const f = new IndexFlat(s.d, s.metric, s.backend);
    if (s.vectors) f.adoptVectors(s.vectors);
    return f;
  }

  add(x: Matrix, ids?: Ids): void {
    checkAdd('IndexFlat', this.d, true, x, undefined);
    if (ids !== undefined) {
      throw new LibvqError('UNSUPPORTED', 'IndexFlat.add: custom ids are not supported (vectors are numbered 0..n-1, as in faiss); use an IVF index for ids');
    }
    const next = new Float32Array((this.ntotal + x.rows) * this.d);
    next.set(this.data.subarray(0, this.ntotal * this.d));
    next.set(x.data, this.ntotal * this.d);
    this.data = next;
    this.ntotal += x.rows;
  }

  search(q: Matrix, params: SearchParams): SearchResult {
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
  }

  memoryBytes(): number {
    return this.data.byteLength;
  }
}

registerReplica('flat', IndexFlat.fromShared);
