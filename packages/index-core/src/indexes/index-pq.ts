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
import type { VectorsInput } from '../input/vectors-input.js';
import { checkAdd, checkCodeRange, checkEncoded, checkSearch, idsFrom, idToNumber, searchInBatches, searchPadded, threadsFor } from './checks.js';
import { IdMap, removeStoredRows } from './id-map.js';
import { IndexBase } from './index-base.js';
import type { AddOptions, EncodedVectors, Ids, Index, IndexParameters, SearchParams, StoredEntries, TrainOptions } from './index.js';
import { deliverResult, type SearchResult } from './search-result.js';

/**
 * PQ codes without a coarse quantizer, searched by ADC (faiss's IndexPQ). Ids are 0, 1, ... unless given with
 * addWithIds or kept across a remove (then stored, as faiss's IndexIDMap does; files get its "IxMp" wrapper).
 */
export class IndexPQ extends IndexBase {
  protected readonly kindName = 'IndexPQ';
  /** The id of each stored code. */
  readonly idMap = new IdMap();
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
  /** The kind worker threads rebuild a replica of (parallel/replica.ts). */
  protected readonly replicaKind: string = 'pq';

  constructor(d: number, M: number, nbits = 8, metric: Metric = 'ip', backend?: string | Backend) {
    super();
    this.d = d;
    this.metric = checkMetric(metric);
    this.pq = new ProductQuantizer(d, M, nbits);
    this.backend = getBackend(backend);
  }

  get isTrained(): boolean {
    return this.pq.isTrained;
  }

  trainSync(x: VectorsInput, opts: TrainOptions = {}): void {
    this.pq.train(this.input(x, 'train vectors', opts.column), { ...opts, backend: this.backend, threads: threadsFor('IndexPQ.train', opts.threads, this.threads) });
    this.modelVersion++;
  }

  adoptTrained(from: Index): void {
    const cb = from.parameters().codebooks;
    if (!from.isTrained || cb === undefined || cb.data.length !== this.pq.centroids.length) throw new LibvqError('INTERNAL', 'IndexPQ.adoptTrained: not a trained index of the same structure');
    this.pq.centroids = cb.data.slice();
    this.pq.isTrained = true;
    this.modelVersion++;
  }

  addSync(xs: VectorsInput, ids?: Ids, opts: AddOptions = {}): void {
    const x = this.input(xs, 'add vectors', opts.column, true);
    checkAdd('IndexPQ', this.d, this.isTrained, x, ids);
    const threads = threadsFor('IndexPQ.add', undefined, this.threads);
    const codes = threads > 1 && x.rows > 1
      ? parallelEncode(this, x, this.pq.M, Math.min(threads, x.rows)).codes
      : this.pq.computeCodes(x, this.backend);
    this.appendCodes(codes, x.rows, ids === undefined ? undefined : idsFrom(ids, 0, x.rows));
    opts.onProgress?.(x.rows, x.rows, 'add');
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
    checkCodeRange('IndexPQ.addEncoded', e.codes, this.pq.ksub);
    this.appendCodes(e.codes, e.rows, ids === undefined ? undefined : idsFrom(ids, 0, e.rows));
  }

  readEntries(opts: { codes?: boolean } = {}): StoredEntries {
    const ids = this.idMap.all();
    const codes = opts.codes === false ? new Uint8Array(0) : this.codes.slice(0, this.ntotal * this.pq.M);
    return { rows: this.ntotal, ids, codes };
  }

  parameters(): IndexParameters {
    const { M, nbits, ksub, dsub, centroids } = this.pq;
    return { transforms: [], codebooks: { M, nbits, ksub, dsub, data: centroids }, storage: 'pq' };
  }

  parametersChanged(): void {
    this.modelVersion++;
    this.pq.parametersChanged();
  }

  remove(ids: Ids): number {
    const r = removeStoredRows(this.idMap, this.codes.subarray(0, this.ntotal * this.pq.M), this.pq.M, ids, 'IndexPQ.remove');
    if (r === null) return 0;
    this.codes = r.rows;
    this.ntotal = r.rows.length / this.pq.M;
    return r.count;
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
    const model = { kind: this.replicaKind, version: this.modelVersion, d: this.d, metric: this.metric, backend: this.backend, M, nbits, codebooks: this.pq.centroids };
    const data = { from: this.codes, version: this.ntotal, copy: () => ({ codes: sharedOrCopy(this.codes.subarray(0, this.ntotal * M)) }) };
    return snapshotOf(this, model, withData ? data : undefined);
  }

  /** The index a snapshot describes, over its shared buffers (no copy). */
  static fromShared(s: IndexSnapshot): IndexPQ {
    return new IndexPQ(s.d, s.M, s.nbits, s.metric, s.backend).adoptSnapshot(s);
  }

  /** Takes a snapshot's codebooks and codes (shared buffers, no copy): the part every PQ replica shares. */
  protected adoptSnapshot(s: IndexSnapshot): this {
    this.pq.centroids = s.codebooks!;
    this.pq.isTrained = true;
    if (s.codes) {
      this.codes = s.codes;
      this.ntotal = s.codes.length / s.M;
    }
    return this;
  }

  /** Appends n × M code bytes (add and addEncoded, after their checks). */
  private appendCodes(codes: Uint8Array, n: number, ids?: Float64Array): void {
    const M = this.pq.M;
    if (codes.length !== n * M) throw new LibvqError('DIMENSION_MISMATCH', `IndexPQ: ${codes.length} code bytes for ${n} vectors of ${M} bytes`);
    // In shared memory from the start: worker threads read the stored codes without a copy.
    const next = sharedArray(Uint8Array, (this.ntotal + n) * M);
    next.set(this.codes.subarray(0, this.ntotal * M));
    next.set(codes, this.ntotal * M);
    this.codes = next;
    this.ntotal += n;
    this.idMap.append(n, ids);
  }

  searchSync(qs: VectorsInput, params: SearchParams): SearchResult {
    const q = this.input(qs, 'search queries', params?.column, true);
    checkSearch('IndexPQ', this.d, this.isTrained, q, params);
    const threads = threadsFor('IndexPQ.search', params.threads, this.threads);
    if (threads > 1 && q.rows > 1) return this.labelsToIds(parallelSearch(this, q, params, Math.min(threads, q.rows)));
    const { M, ksub } = this.pq;
    const r = searchInBatches(q, params.k, M * ksub * 4, (b) => {
      const tables = this.pq.computeTables(b, this.metric, this.backend);
      return searchPadded(b, params.k, this.ntotal, this.metric, (k) => this.backend.adcScan(tables, this.codes, this.ntotal, M, ksub, k, this.metric));
    });
    return this.labelsToIds(deliverResult(r, params.out));
  }

  protected override labelsToIds(r: SearchResult): SearchResult {
    return this.idMap.mapLabels(r);
  }

  reconstruct(id: number | bigint): Float32Array {
    const i = this.idMap.positionOf(idToNumber(id, 'IndexPQ.reconstruct'), 'IndexPQ.reconstruct');
    return this.pq.decode(this.codes.subarray(i * this.pq.M, (i + 1) * this.pq.M), 1).data;
  }

  reset(): void {
    this.codes = new Uint8Array(0);
    this.ntotal = 0;
    this.idMap.reset();
  }

  memoryBytes(): number {
    return this.codes.byteLength + this.pq.centroids.byteLength + this.idMap.memoryBytes();
  }
}

registerReplica('pq', IndexPQ.fromShared);
