import { getBackend } from '../backend/registry.js';
import type { Backend, Probes } from '../backend/types.js';
import { LibvqError, invalidArgument } from '../errors.js';
import { kmeans } from '../kmeans.js';
import { type Matrix, checkMatrix, gatherRows } from '../matrix.js';
import { createRng, randomPermutation } from '../random.js';
import { checkMetric, type Metric } from '../metric.js';
import { reportAs, type LongOperationOptions } from '../progress.js';
import { parallelEncode, parallelSearch } from '../parallel/ops.js';
import { GarbageMeter } from '../parallel/garbage-meter.js';
import { collectThreadGarbage } from '../parallel/pool.js';
import type { IndexSnapshot } from '../parallel/protocol.js';
import { snapshotOf } from '../parallel/snapshot.js';
import type { VectorsInput } from '../input/vectors-input.js';
import { checkAdd, checkEncoded, checkSearch, checkedIds, idToNumber, idsFrom, searchInBatches, searchPadded, threadsFor } from './checks.js';
import { HeldEncoded } from './held-encoded.js';
import { ADD_BATCH, IndexBase } from './index-base.js';
import { IndexFlat } from './index-flat.js';
import type { AddOptions, EncodedVectors, Ids, Index, IndexParameters, SearchOutput, SearchParams, StoredEntries, TrainOptions } from './index.js';
import { InvertedLists } from './inverted-lists.js';
import { deliverResult, outOfSize, type SearchResult } from './search-result.js';
import { assignInBlocks } from './assign-blocks.js';

/**
 * Inverted-file index (faiss's IndexIVF): a coarse quantizer — itself an Index (IndexFlat over nlist
 * centroids) — sends every vector to its nearest list; search probes the nprobe nearest lists. What a
 * list stores (raw vectors, PQ codes of residuals) is up to the subclass.
 */
export abstract class IndexIVF extends IndexBase {
  protected readonly kindName = 'IndexIVF';
  readonly d: number;
  readonly metric: Metric;
  readonly nlist: number;
  readonly quantizer: IndexFlat;
  invlists: InvertedLists;
  /** Lists probed when search() is not given nprobe (faiss's default: 1). */
  nprobe = 1;
  /**
   * Iterations of the coarse k-means (default 10, faiss's IVF default: Level1Quantizer sets "a low number of
   * iterations because this is typically used for large clusterings"). Measured on the test set (IVF32, 8,000
   * vectors, 6 seeds): 10 iterations give the same recall as 25 within the seed-to-seed spread (ip, PQ8x8: mean
   * 0.704 vs 0.682; l2: 0.943 vs 0.938), at 2.5× less training work.
   */
  kmeansIterations = 10;
  backend: Backend;
  /** Threads for search, add and train (default 1: no workers). */
  threads = 1;
  protected quantizerTrained = false;
  /** Bumped by training and parametersChanged(): worker snapshots copy centroids and codebooks again only then. */
  protected modelVersion = 0;

  protected constructor(quantizer: IndexFlat, d: number, nlist: number, codeSize: number, metric: Metric, backend?: string | Backend) {
    super();
    if (!Number.isInteger(nlist) || nlist <= 0) throw invalidArgument('nlist (IVF lists)', 'a positive integer', nlist);
    if (quantizer.d !== d) throw new LibvqError('DIMENSION_MISMATCH', `IVF: quantizer dimension ${quantizer.d} differs from index dimension ${d}`);
    // Lists are assigned and probed under the index's metric: a quantizer of the other metric would be searched
    // with a metric it was not trained for.
    if (quantizer.metric !== metric) throw new LibvqError('INVALID_ARGUMENT', `IVF: the coarse quantizer's metric is ${quantizer.metric}, the index's is ${metric}; they must be the same`);
    this.d = d;
    this.metric = checkMetric(metric);
    this.nlist = nlist;
    this.quantizer = quantizer;
    this.backend = getBackend(backend);
    this.invlists = new InvertedLists(nlist, codeSize);
    this.quantizerTrained = quantizer.ntotal === nlist;
  }

  get ntotal(): number {
    return this.invlists.ntotal;
  }

  get isTrained(): boolean {
    return this.quantizerTrained && this.encoderTrained();
  }

  protected abstract encoderTrained(): boolean;
  /** Trains what encodes list entries, on the training vectors and their list assignment. */
  protected abstract trainEncoder(x: Matrix, listNos: Int32Array, opts: TrainOptions): void;
  /** Encodes vectors already assigned to lists into codeSize bytes each. */
  abstract encodeVectors(x: Matrix, listNos: Int32Array): Uint8Array;
  /** The k best of each query over its probed lists; `out`: arrays of exactly rows × k it may write them into. */
  protected abstract scan(q: Matrix, probes: Probes, k: number, params: SearchParams, out?: SearchOutput): { distances: Float32Array; labels: Float64Array };
  protected abstract decodeEntry(list: number, code: Uint8Array): Float32Array;

  trainSync(xs: VectorsInput, opts: TrainOptions = {}): void {
    const x = this.input(xs, 'train vectors', opts.column);
    const threads = threadsFor('IndexIVF.train', opts.threads, this.threads);
    if (!this.quantizerTrained) {
      if (x.rows < this.nlist) {
        throw new LibvqError('INSUFFICIENT_DATA', `IVF training: ${x.rows} training vectors for nlist = ${this.nlist} lists; need at least ${this.nlist}`);
      }
      // faiss trains an inner-product IVF with spherical k-means assigned by inner product.
      const { centroids } = kmeans(x, this.nlist, {
        seed: opts.seed,
        niter: this.kmeansIterations,
        metric: this.metric,
        spherical: this.metric === 'ip',
        backend: this.backend,
        threads,
        signal: opts.signal,
        onProgress: reportAs(opts.onProgress, 'ivf'),
      });
      this.quantizer.reset();
      this.quantizer.addSync(centroids);
      this.quantizerTrained = true;
      this.parametersChanged();
    }
    if (this.encoderTrainingRows() === 0) return;
    this.trainEncoderOnSample(x, opts, threads);
    // The training sample and its shared residuals, garbage now, are freed now (parallel/collect.ts).
    if (threads > 1) collectThreadGarbage();
    this.parametersChanged();
  }

  /**
   * Only the sample the encoder trains on is assigned to lists (faiss subsamples before taking residuals):
   * assigning every training vector first costs a pass and n list numbers for nothing.
   */
  private trainEncoderOnSample(x: Matrix, opts: TrainOptions, threads: number): void {
    const max = this.encoderTrainingRows();
    const sample = x.rows > max ? gatherRows(x, randomPermutation(x.rows, createRng((opts.seed ?? 1234) + 1)).subarray(0, max)) : x;
    this.trainEncoder(sample, assignInBlocks((rows) => this.assignLists(rows), sample, opts.onProgress), { ...opts, threads });
  }

  /** How many training vectors the encoder trains on (a seeded sample when there are more; 0: no training). */
  protected abstract encoderTrainingRows(): number;

  /** The nearest list of every vector under the index's metric. */
  assignLists(x: Matrix): Int32Array {
    const r = this.backend.knn(x, this.quantizer.vectors, 1, this.metric);
    const out = new Int32Array(x.rows);
    for (let i = 0; i < x.rows; i++) out[i] = r.labels[i];
    return out;
  }

  get centroids(): Matrix {
    return this.quantizer.vectors;
  }

  /** The trained quantizer and encoder of `from` (an index of the same structure, e.g. trained on a worker). */
  adoptTrained(from: Index): void {
    const p = from.parameters();
    if (!from.isTrained || p.nlist !== this.nlist || p.centroids === undefined || p.centroids.dim !== this.d) {
      throw new LibvqError('INTERNAL', 'IndexIVF.adoptTrained: not a trained index of the same structure');
    }
    this.quantizer.reset();
    this.quantizer.addSync({ rows: this.nlist, dim: this.d, data: p.centroids.data.slice() });
    this.quantizerTrained = true;
    this.adoptEncoder(p);
    this.parametersChanged();
  }

  /** Refuses stored bytes the encoder could not have written (PQ codes of fewer than 8 bits); default: any. */
  protected checkCodeValues(_codes: Uint8Array): void {}

  /** The subclass's part of adoptTrained: its encoder parameters (codebooks). */
  protected abstract adoptEncoder(p: IndexParameters): void;

  addSync(xs: VectorsInput, ids?: Ids, opts: AddOptions = {}): void {
    const x = this.input(xs, 'add vectors', opts.column, true);
    checkAdd('IndexIVF', this.d, this.isTrained, x, ids);
    const given = ids === undefined ? undefined : idsFrom(ids, 0, x.rows);
    const start = this.ntotal;
    const threads = threadsFor('IndexIVF.add', undefined, this.threads);
    const garbage = new GarbageMeter();
    const held = new HeldEncoded(this.codeSize, x.rows, ADD_BATCH);
    // Appends the held rows, which end at row `end` of x.
    const flush = (end: number): void => {
      const from = end - held.rows;
      const e = held.take();
      this.invlists.appendBatch(e.lists!, e.codes, given === undefined ? idsFrom(undefined, start + from, end - from) : given.subarray(from, end));
    };
    for (let b = 0; b < x.rows; b += ADD_BATCH) {
      const e = Math.min(x.rows, b + ADD_BATCH);
      const xb: Matrix = { rows: e - b, dim: this.d, data: x.data.subarray(b * this.d, e * this.d) };
      const r = threads > 1 && xb.rows > 1 ? parallelEncode(this, xb, this.codeSize, Math.min(threads, xb.rows)) : this.encodeChecked(xb);
      if (!held.fits(xb.rows)) flush(b);
      held.push({ rows: xb.rows, lists: r.lists, codes: r.codes });
      if (e === x.rows) flush(e);
      // The batch's working arrays (its codes and lists, the knn results) and any list arrays an append replaced are garbage now.
      garbage.check();
      opts.onProgress?.(e, x.rows, 'add');
    }
  }

  get codeSize(): number {
    return this.invlists.codeSize;
  }

  /** What `add` would store for x: the list of each row and its codes, computed on this thread. */
  encode(x: Matrix): EncodedVectors {
    checkMatrix(x, 'IndexIVF.encode vectors', this.d);
    if (!this.isTrained) throw new LibvqError('NOT_TRAINED', 'IndexIVF.encode: the index is not trained; call train() first');
    return this.encodeChecked(x);
  }

  /** encode for rows add has already checked (its whole input, once: a pass per batch cost a seventh of add). */
  private encodeChecked(x: Matrix): EncodedVectors {
    const lists = this.assignLists(x);
    return { rows: x.rows, lists, codes: this.encodeVectors(x, lists) };
  }

  addEncoded(e: EncodedVectors, ids?: Ids): void {
    checkEncoded('IndexIVF', this.isTrained, e, this.codeSize, this.nlist, ids);
    this.checkCodeValues(e.codes);
    this.invlists.appendBatch(e.lists!, e.codes, idsFrom(ids, this.ntotal, e.rows));
  }

  readEntries(opts: { codes?: boolean } = {}): StoredEntries {
    const inv = this.invlists;
    const cs = inv.codeSize;
    const n = inv.ntotal;
    const ids = new Float64Array(n);
    const lists = new Int32Array(n);
    const codes = new Uint8Array(opts.codes === false ? 0 : n * cs);
    let at = 0;
    for (let l = 0; l < this.nlist; l++) {
      const size = inv.sizes[l];
      ids.set(inv.ids[l].subarray(0, size), at);
      lists.fill(l, at, at + size);
      if (opts.codes !== false) codes.set(inv.readCodes(l), at * cs);
      at += size;
    }
    return { rows: n, ids, lists, codes };
  }

  parameters(): IndexParameters {
    return { transforms: [], nlist: this.nlist, centroids: this.quantizer.vectors, ...this.encoderParameters() };
  }

  /** The subclass's part of parameters(): its codebooks (if any) and what its codes hold. */
  protected abstract encoderParameters(): Pick<IndexParameters, 'codebooks' | 'storage' | 'byResidual'>;

  parametersChanged(): void {
    this.modelVersion++;
    // Training writes the coarse centroids in place: the quantizer's own caches (its vectors' view, the js
    // backend's packed panels keyed by it) must see the change too.
    this.quantizer.parametersChanged();
  }

  cloneEmpty(): IndexIVF {
    const c = this.emptyLike(this.quantizer.cloneWithVectors());
    c.nprobe = this.nprobe;
    c.kmeansIterations = this.kmeansIterations;
    c.threads = this.threads;
    return c;
  }

  /** An untrained-lists copy of this index over the given coarse quantizer, its encoder parameters copied. */
  protected abstract emptyLike(quantizer: IndexFlat): IndexIVF;

  /** The snapshot worker threads rebuild this index from (parallel/snapshot.ts caches it). */
  share(withData: boolean): IndexSnapshot {
    const model = { ...this.sharedModel(), version: this.modelVersion, d: this.d, metric: this.metric, backend: this.backend, nlist: this.nlist, coarse: this.quantizer.vectors.data };
    const data = {
      from: this.invlists,
      version: this.invlists.version,
      copy: () => {
        const c = this.invlists.sharedCopy();
        return { codes: c.codes, ids: c.ids, offsets: c.offsets, ...(c.memory ? { codesMemory: c.memory } : {}) };
      },
    };
    return snapshotOf(this, model, withData ? data : undefined);
  }

  /** The subclass's part of its snapshot: its replica kind and encoder parameters. */
  protected abstract sharedModel(): { kind: string; M?: number; nbits?: number; codebooks?: Float32Array };

  /** A replica's coarse quantizer over the snapshot's shared centroids. */
  protected static sharedQuantizer(s: IndexSnapshot): IndexFlat {
    const q = new IndexFlat(s.d, s.metric, s.backend);
    q.adoptVectors(s.coarse!);
    return q;
  }

  /** Points a replica's lists at the snapshot's shared codes and ids. */
  protected adoptSharedLists(s: IndexSnapshot): this {
    if (s.offsets) this.invlists.adoptShared(s.offsets, s.codes!, s.ids!, s.codesMemory);
    return this;
  }

  /** The nprobe lists nearest each query and their coarse scores. */
  probe(q: Matrix, nprobe: number): Probes {
    const np = Math.min(nprobe, this.nlist);
    const r = this.backend.knn(q, this.quantizer.vectors, np, this.metric);
    const lists = new Int32Array(r.labels.length);
    for (let i = 0; i < lists.length; i++) lists[i] = r.labels[i];
    return { nprobe: np, lists, bias: r.distances };
  }

  searchSync(qs: VectorsInput, params: SearchParams): SearchResult {
    const q = this.input(qs, 'search queries', params?.column, true);
    checkSearch('IndexIVF', this.d, this.isTrained, q, params);
    const threads = threadsFor('IndexIVF.search', params.threads, this.threads);
    if (threads > 1 && q.rows > 1) return parallelSearch(this, q, params, Math.min(threads, q.rows));
    const nprobe = Math.min(params.nprobe ?? this.nprobe, this.nlist);
    const r = searchInBatches(q, params.k, this.searchBytesPerQuery(nprobe), (b) => {
      const probes = this.probe(b, nprobe);
      // A batch that is the whole call, unpadded, may write straight into SearchParams.out.
      return searchPadded(b, params.k, this.ntotal, this.metric, (k) => this.scan(b, probes, k, params, b === q ? outOfSize(params.out, b.rows * k) : undefined));
    });
    return deliverResult(r, params.out);
  }

  /**
   * Working memory one query's search holds (searchInBatches sizes its batches by it): its probed lists and their
   * coarse scores, plus what the subclass's scan adds (PQ tables).
   */
  protected searchBytesPerQuery(nprobe: number): number {
    return nprobe * 8;
  }

  reconstruct(id: number | bigint): Float32Array {
    const i = idToNumber(id, 'IndexIVF.reconstruct');
    const at = this.invlists.locate(i);
    if (at === null) throw new LibvqError('INVALID_ARGUMENT', `IndexIVF.reconstruct: id ${i} is not in the index`);
    const code = new Uint8Array(this.invlists.codeSize);
    this.invlists.readEntry(at.list, at.offset, code);
    return this.decodeEntry(at.list, code);
  }

  remove(ids: Ids): number {
    return this.invlists.removeIds(idsFrom(checkedIds(ids, 'IndexIVF.remove'), 0, ids.length));
  }

  reset(): void {
    this.invlists.reset();
  }

  memoryBytes(): number {
    return this.invlists.memoryBytes() + this.quantizer.memoryBytes();
  }
}
