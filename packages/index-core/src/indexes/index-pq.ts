import { getBackend } from '../backend/registry.js';
import type { Backend } from '../backend/types.js';
import { LibvqError } from '../errors.js';
import { checkMatrix, type Matrix } from '../matrix.js';
import { checkMetric, type Metric } from '../metric.js';
import { ProductQuantizer } from '../product-quantizer.js';
import type { LongOperationOptions } from '../progress.js';
import { parallelEncode, parallelSearch } from '../parallel/ops.js';
import type { IndexSnapshot } from '../parallel/protocol.js';
import { registerReplica } from '../parallel/replica.js';
import { sharedArray, sharedOrCopy } from '../parallel/shared.js';
import { snapshotOf } from '../parallel/snapshot.js';
import { checkAdd, checkEncoded, checkSearch, idsFrom, rejectCustomIds, idToNumber, searchPadded, threadsFor } from './checks.js';
import type { EncodedVectors, Ids, Index, IndexParameters, SearchParams, SearchResult, StoredEntries, TrainOptions } from './index.js';

/** PQ codes without a coarse quantizer, searched by ADC (faiss's IndexPQ). Ids are sequential. */
export class IndexPQ implements Index {
  readonly d: number;
  readonly metric: Metric;
  readonly pq: ProductQuantizer;
  backend: Backend;
  /** Threads for search, add and train (default 1: no workers). */
  threads = 1;
  codes: Uint8Array = new Uint8Array(0);
  ntotal = 0;
  /** Bumped by training and parametersChanged(): worker snapshots copy the codebooks again only then. */
  private modelVersion = 0;

  constructor(d: number, M: number, nbits = 8, metric: Metric = 'l2', backend?: string | Backend) {
    this.d = d;
    this.metric = checkMetric(metric);
    this.pq = new ProductQuantizer(d, M, nbits);
    this.backend = getBackend(backend);
  }

  get isTrained(): boolean {
    return this.pq.isTrained;
  }

  trainSync(x: Matrix, opts: TrainOptions = {}): void {
    this.pq.train(x, { ...opts, backend: this.backend, threads: threadsFor('IndexPQ.train', opts.threads, this.threads) });
    this.modelVersion++;
  }

  addSync(x: Matrix, ids?: Ids, _opts?: LongOperationOptions): void {
    checkAdd('IndexPQ', this.d, this.isTrained, x, undefined);
    rejectCustomIds('IndexPQ.add', ids);
    const threads = threadsFor('IndexPQ.add', undefined, this.threads);
    const codes = threads > 1 && x.rows > 1
      ? parallelEncode(this, x, this.pq.M, Math.min(threads, x.rows)).codes
      : this.pq.computeCodes(x, this.backend);
    this.appendCodes(codes, x.rows);
  }

  get codeSize(): number {
    return this.pq.M;
  }

  /** The codes `add` would store for x (n × M bytes), computed on this thread. */
  encode(x: Matrix): EncodedVectors {
    checkMatrix(x, 'IndexPQ.encode vectors', this.d);
    return { rows: x.rows, codes: this.pq.computeCodes(x, this.backend) };
  }

  addEncoded(e: EncodedVectors, ids?: Ids): void {
    checkEncoded('IndexPQ', this.isTrained, e, this.codeSize, 0, ids);
    rejectCustomIds('IndexPQ.addEncoded', ids);
    this.appendCodes(e.codes, e.rows);
  }

  readEntries(opts: { codes?: boolean } = {}): StoredEntries {
    const ids = idsFrom(undefined, 0, this.ntotal);
    const codes = opts.codes === false ? new Uint8Array(0) : this.codes.slice(0, this.ntotal * this.pq.M);
    return { rows: this.ntotal, ids, codes };
  }

  parameters(): IndexParameters {
    const { M, nbits, ksub, dsub, centroids } = this.pq;
    return { transforms: [], codebooks: { M, nbits, ksub, dsub, data: centroids }, storage: 'pq' };
  }

  parametersChanged(): void {
    this.modelVersion++;
  }

  cloneEmpty(): IndexPQ {
    const c = new IndexPQ(this.d, this.pq.M, this.pq.nbits, this.metric, this.backend);
    c.pq.centroids = this.pq.centroids.slice();
    c.pq.isTrained = this.pq.isTrained;
    c.threads = this.threads;
    return c;
  }

  /** The snapshot worker threads rebuild this index from (parallel/snapshot.ts caches it). */
  share(withData: boolean): IndexSnapshot {
    const { M, nbits } = this.pq;
    const model = { kind: 'pq', version: this.modelVersion, d: this.d, metric: this.metric, backend: this.backend, M, nbits, codebooks: this.pq.centroids };
    const data = { from: this.codes, version: this.ntotal, copy: () => ({ codes: sharedOrCopy(this.codes.subarray(0, this.ntotal * M)) }) };
    return snapshotOf(this, model, withData ? data : undefined);
  }

  /** The index a snapshot describes, over its shared buffers (no copy). */
  static fromShared(s: IndexSnapshot): IndexPQ {
    const p = new IndexPQ(s.d, s.M, s.nbits, s.metric, s.backend);
    p.pq.centroids = s.codebooks!;
    p.pq.isTrained = true;
    if (s.codes) {
      p.codes = s.codes;
      p.ntotal = s.codes.length / s.M;
    }
    return p;
  }

  /** Appends n × M code bytes (add and addEncoded, after their checks). */
  private appendCodes(codes: Uint8Array, n: number): void {
    const M = this.pq.M;
    if (codes.length !== n * M) throw new LibvqError('DIMENSION_MISMATCH', `IndexPQ: ${codes.length} code bytes for ${n} vectors of ${M} bytes`);
    // In shared memory from the start: worker threads read the stored codes without a copy.
    const next = sharedArray(Uint8Array, (this.ntotal + n) * M);
    next.set(this.codes);
    next.set(codes, this.ntotal * M);
    this.codes = next;
    this.ntotal += n;
  }

  searchSync(q: Matrix, params: SearchParams): SearchResult {
    checkSearch('IndexPQ', this.d, this.isTrained, q, params);
    const threads = threadsFor('IndexPQ.search', params.threads, this.threads);
    if (threads > 1 && q.rows > 1) return parallelSearch(this, q, params, Math.min(threads, q.rows));
    const { M, ksub } = this.pq;
    const tables = this.pq.computeTables(q, this.metric, this.backend);
    return searchPadded(q, params.k, this.ntotal, this.metric, (k) => this.backend.adcScan(tables, this.codes, this.ntotal, M, ksub, k, this.metric));
  }

  reconstruct(id: number | bigint): Float32Array {
    const i = idToNumber(id, 'IndexPQ.reconstruct');
    if (i >= this.ntotal) throw new LibvqError('INVALID_ARGUMENT', `IndexPQ.reconstruct: id ${i} is not in the index (ntotal = ${this.ntotal})`);
    return this.pq.decode(this.codes.subarray(i * this.pq.M, (i + 1) * this.pq.M), 1).data;
  }

  reset(): void {
    this.codes = new Uint8Array(0);
    this.ntotal = 0;
  }

  memoryBytes(): number {
    return this.codes.byteLength + this.pq.centroids.byteLength;
  }
}

registerReplica('pq', IndexPQ.fromShared);
