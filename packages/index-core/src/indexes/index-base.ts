import type { Backend } from '../backend/types.js';
import { LibvqError, throwIfAborted } from '../errors.js';
import { toMatrix, type VectorsInput } from '../input/vectors-input.js';
import { type Matrix, checkMatrix, sliceRows } from '../matrix.js';
import type { Metric } from '../metric.js';
import { encodeOnWorkers, searchOnWorkers } from '../parallel/async-ops.js';
import type { IndexSnapshot } from '../parallel/protocol.js';
import { checkAdd, checkSearch, idsFrom, threadsFor } from './checks.js';
import type {
  AddOptions, EncodedVectors, Ids, Index, IndexParameters, SearchParams, StoredEntries, TrainOptions,
} from './index.js';
import type { SearchResult } from './search-result.js';
import { HeldEncoded } from './held-encoded.js';
import { trainOnWorker } from './train-on-worker.js';

/** Rows encoded per worker round of an asynchronous add: progress and memory in steps of this size. */
export const ADD_BATCH = 65536;

/**
 * What every index kind shares: the asynchronous forms (search, add, addWithIds, train), written once over the
 * synchronous ones and the thread layer, and the conversion of every vector input (VectorsInput) to a Matrix.
 * A kind implements the synchronous operations on matrices; `share` (a snapshot for the workers) makes its
 * asynchronous search and add run on worker threads.
 */
export abstract class IndexBase implements Index {
  abstract readonly d: number;
  abstract readonly metric: Metric;
  abstract readonly ntotal: number;
  abstract readonly isTrained: boolean;
  abstract backend: Backend;
  abstract threads: number;
  abstract readonly codeSize: number;
  /** The class name used in messages. */
  protected abstract readonly kindName: string;

  abstract trainSync(x: VectorsInput, opts?: TrainOptions): void;
  abstract addSync(x: VectorsInput, ids?: Ids, opts?: AddOptions): void;
  abstract searchSync(q: VectorsInput, params: SearchParams): SearchResult;
  abstract remove(ids: Ids): number;
  abstract reconstruct(id: number | bigint): Float32Array;
  abstract reset(): void;
  abstract encode(x: Matrix): EncodedVectors;
  abstract addEncoded(entries: EncodedVectors, ids?: Ids): void;
  abstract readEntries(opts?: { codes?: boolean }): StoredEntries;
  abstract parameters(): IndexParameters;
  abstract parametersChanged(): void;
  abstract cloneEmpty(): Index;
  abstract memoryBytes(): number;
  /** Takes the trained parameters of `from`, an index of the same structure trained elsewhere (a worker). */
  abstract adoptTrained(from: Index): void;

  /**
   * Any vector input as a matrix of this index's dimension (`what` names the parameter in errors), its values
   * checked unless `checked` says the caller's own check (checkSearch, checkAdd) scans them anyway.
   */
  protected input(x: VectorsInput, what: string, column?: string, checked = false): Matrix {
    const m = toMatrix(x, { name: `${this.kindName}.${what}`, dim: this.d, column });
    if (!checked) checkMatrix(m, `${this.kindName}.${what}`, this.d);
    return m;
  }

  async search(q: VectorsInput, params: SearchParams): Promise<SearchResult> {
    const m = this.input(q, 'search queries', params?.column, true);
    checkSearch(this.kindName, this.d, this.isTrained, m, params);
    return this.searchAsync(m, params, threadsFor(`${this.kindName}.search`, params.threads, this.threads));
  }

  /** The asynchronous search of checked queries: on worker threads over this index's snapshot. */
  protected async searchAsync(q: Matrix, params: SearchParams, threads: number): Promise<SearchResult> {
    return this.labelsToIds(await searchOnWorkers(this.threadIndex(), q, params, Math.max(1, Math.min(threads, q.rows))));
  }

  /** Positions → ids for kinds that search by position (Flat, PQ); others return r as it is. */
  protected labelsToIds(r: SearchResult): SearchResult {
    return r;
  }

  async add(x: VectorsInput, opts: AddOptions = {}): Promise<void> {
    return this.addAsync(this.input(x, 'add vectors', opts.column, true), undefined, opts);
  }

  async addWithIds(x: VectorsInput, ids: Ids, opts: AddOptions = {}): Promise<void> {
    if (ids === undefined || ids === null) throw new LibvqError('INVALID_ARGUMENT', `${this.kindName}.addWithIds: ids are required (use add() for ids ntotal, ntotal + 1, ...)`);
    return this.addAsync(this.input(x, 'addWithIds vectors', opts.column, true), ids, opts);
  }

  /**
   * add = addEncoded(encode(x)) a batch at a time, the encoding on worker threads: the bytes of addSync, with the
   * event loop free but for the appends.
   */
  protected async addAsync(x: Matrix, ids: Ids | undefined, opts: AddOptions): Promise<void> {
    checkAdd(this.kindName, this.d, this.isTrained, x, ids);
    const given = ids === undefined ? undefined : idsFrom(ids, 0, x.rows);
    const threads = threadsFor(`${this.kindName}.add`, undefined, this.threads);
    const held = new HeldEncoded(this.codeSize, x.rows, ADD_BATCH);
    let end = 0;
    // Appends the held rows, [end − held.rows, end) of x: when they fill the hold, at the end, and before an abort
    // is thrown (the rows encoded before it are added, as they were when every batch was appended at once).
    const flush = (): void => {
      if (held.rows === 0) return;
      const from = end - held.rows;
      this.addEncoded(held.take(), given?.subarray(from, end));
    };
    for (let b = 0; b < x.rows; b += ADD_BATCH) {
      if (opts.signal?.aborted) flush();
      throwIfAborted(opts.signal, `${this.kindName}.add`);
      const e = Math.min(x.rows, b + ADD_BATCH);
      const batch = sliceRows(x, b, e);
      const enc = await this.encodeAsync(batch, Math.min(threads, batch.rows));
      if (!held.fits(enc.rows)) flush();
      held.push(enc);
      end = e;
      opts.onProgress?.(e, x.rows, 'add');
    }
    flush();
  }

  /** encode(x) on worker threads. */
  protected async encodeAsync(x: Matrix, threads: number): Promise<EncodedVectors> {
    return encodeOnWorkers(this.threadIndex(), x, this.codeSize, Math.max(1, threads));
  }

  /**
   * Trains a copy of this index on a worker thread (trainSync there, with the same seed: the same bytes) and takes
   * its trained parameters. Progress is reported from the worker's shared counters while it runs.
   */
  async train(x: VectorsInput, opts: TrainOptions = {}): Promise<void> {
    const m = this.input(x, 'train vectors', opts.column);
    this.adoptTrained(await trainOnWorker(this, m, { ...opts, threads: threadsFor(`${this.kindName}.train`, opts.threads, this.threads) }));
  }

  /** This index as the thread layer sees it (kinds that can be searched on workers implement share). */
  private threadIndex(): IndexBase & { share(withData: boolean): IndexSnapshot } {
    const self = this as unknown as { share?: unknown };
    if (typeof self.share !== 'function') throw new LibvqError('INTERNAL', `${this.kindName}: no snapshot for worker threads`);
    return this as unknown as IndexBase & { share(withData: boolean): IndexSnapshot };
  }
}
