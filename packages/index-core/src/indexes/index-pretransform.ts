import type { Backend } from '../backend/types.js';
import { LibvqError } from '../errors.js';
import { type Matrix, checkMatrix, sliceRows } from '../matrix.js';
import { sharedArray } from '../parallel/shared.js';
import type { Metric } from '../metric.js';
import type { LongOperationOptions } from '../progress.js';
import type { VectorTransform } from '../transform.js';
import type { VectorsInput } from '../input/vectors-input.js';
import { OPQMatrix } from '../opq.js';
import { IndexBase } from './index-base.js';
import type { AddOptions, EncodedVectors, Ids, Index, IndexParameters, SearchParams, StoredEntries, TrainOptions } from './index.js';
import type { SearchResult } from './search-result.js';

/** Rows × dIn × dOut multiply-adds the asynchronous forms transform between two turns of the event loop (~2 ms). */
const TRANSFORM_SLICE = 1 << 22;

/** Applies a chain of transforms (e.g. an OPQ rotation) before a wrapped index (faiss's IndexPreTransform). */
export class IndexPreTransform extends IndexBase {
  protected readonly kindName = 'IndexPreTransform';
  readonly chain: VectorTransform[];
  readonly index: Index;

  constructor(chain: VectorTransform[], index: Index) {
    super();
    if (chain.length === 0) throw new LibvqError('INVALID_ARGUMENT', 'IndexPreTransform: the transform chain is empty');
    for (let i = 1; i < chain.length; i++) {
      if (chain[i].dIn !== chain[i - 1].dOut) {
        throw new LibvqError('DIMENSION_MISMATCH', `IndexPreTransform: transform ${i} takes ${chain[i].dIn} dims, transform ${i - 1} gives ${chain[i - 1].dOut}`);
      }
    }
    if (chain[chain.length - 1].dOut !== index.d) {
      throw new LibvqError('DIMENSION_MISMATCH', `IndexPreTransform: the transforms give ${chain[chain.length - 1].dOut} dims, the index expects ${index.d}`);
    }
    this.chain = chain;
    this.index = index;
  }

  get d(): number {
    return this.chain[0].dIn;
  }
  get metric(): Metric {
    return this.index.metric;
  }
  get ntotal(): number {
    return this.index.ntotal;
  }
  get isTrained(): boolean {
    return this.index.isTrained && this.chain.every((t) => t.isTrained);
  }
  get backend(): Backend {
    return this.index.backend;
  }
  set backend(b: Backend) {
    this.index.backend = b;
  }
  /** The wrapped index's threads (also those of an OPQ rotation's inner PQ training). */
  get threads(): number {
    return this.index.threads ?? 1;
  }
  set threads(n: number) {
    this.index.threads = n;
  }

  /** The wrapped index's default nprobe (undefined without inverted lists). */
  get nprobe(): number | undefined {
    return this.index.nprobe;
  }
  set nprobe(n: number | undefined) {
    this.index.nprobe = n;
  }

  /** Applies every transform of the chain. */
  applyChain(x: Matrix): Matrix {
    let y = x;
    for (const t of this.chain) y = t.apply(y);
    return y;
  }

  /**
   * Trains each untrained transform of the chain, then the wrapped index on the transformed set. Every stage
   * reports under its own name (an OPQ rotation: 'opq'; one that names none: 'transform'; then the index's).
   */
  trainSync(xs: VectorsInput, opts: TrainOptions = {}): void {
    const x = this.input(xs, 'train vectors', opts.column);
    const threads = opts.threads ?? this.threads;
    const report = opts.onProgress;
    const onProgress = report && ((done: number, total: number, stage?: string) => report(done, total, stage ?? 'transform'));
    let y = x;
    this.chain.forEach((t, i) => {
      if (!t.isTrained) t.train(y, { seed: opts.seed, signal: opts.signal, threads, onProgress });
      // The wrapped index's threaded training reads the transformed set from shared memory: writing it there
      // directly saves the copy it would otherwise make (a whole training set).
      y = threads > 1 && i === this.chain.length - 1 ? applyIntoShared(t, y) : t.apply(y);
    });
    this.index.trainSync(y, opts);
  }

  /** The trained transforms and wrapped index of `from` (the same structure, e.g. trained on a worker). */
  adoptTrained(from: Index): void {
    const other = from as IndexPreTransform;
    if (!(other.chain?.length === this.chain.length)) throw new LibvqError('INTERNAL', 'IndexPreTransform.adoptTrained: not an index of the same structure');
    this.chain.forEach((t, i) => {
      const o = other.chain[i];
      if (o.constructor !== t.constructor || o.dIn !== t.dIn || o.dOut !== t.dOut) throw new LibvqError('INTERNAL', `IndexPreTransform.adoptTrained: transform ${i} differs`);
      // Only an OPQ rotation has trained parameters (a normalisation has none).
      if (t instanceof OPQMatrix && o instanceof OPQMatrix) {
        t.A = o.A.slice();
        t.isTrained = o.isTrained;
      }
    });
    (this.index as IndexBase).adoptTrained(other.index);
  }

  addSync(xs: VectorsInput, ids?: Ids, opts: AddOptions = {}): void {
    if (!this.isTrained) throw new LibvqError('NOT_TRAINED', 'IndexPreTransform.add: the index is not trained; call train() first');
    const x = this.input(xs, 'add vectors', opts.column);
    this.index.addSync(this.applyChain(x), ids, { signal: opts.signal, onProgress: opts.onProgress });
  }

  searchSync(qs: VectorsInput, params: SearchParams): SearchResult {
    if (!this.isTrained) throw new LibvqError('NOT_TRAINED', 'IndexPreTransform.search: the index is not trained; call train() first');
    const q = this.input(qs, 'search queries', params?.column);
    return this.index.searchSync(this.applyChain(q), { ...params, column: undefined });
  }

  /** The chain applied a slice of rows at a time, yielding to the event loop between slices. */
  private async applyChainAsync(x: Matrix): Promise<Matrix> {
    const work = this.chain.reduce((s, t) => s + t.dIn * t.dOut, 0);
    const step = Math.max(1, Math.floor(TRANSFORM_SLICE / work));
    if (x.rows <= step) return this.applyChain(x);
    const dOut = this.index.d;
    const out = new Float32Array(x.rows * dOut);
    for (let r0 = 0; r0 < x.rows; r0 += step) {
      const r1 = Math.min(x.rows, r0 + step);
      out.set(this.applyChain(sliceRows(x, r0, r1)).data, r0 * dOut);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return { rows: x.rows, dim: dOut, data: out };
  }

  protected override async searchAsync(q: Matrix, params: SearchParams): Promise<SearchResult> {
    return this.index.search(await this.applyChainAsync(q), { ...params, column: undefined });
  }

  protected override async addAsync(x: Matrix, ids: Ids | undefined, opts: AddOptions): Promise<void> {
    if (!this.isTrained) throw new LibvqError('NOT_TRAINED', 'IndexPreTransform.add: the index is not trained; call train() first');
    checkMatrix(x, 'IndexPreTransform.add vectors', this.d);
    const y = await this.applyChainAsync(x);
    const o = { signal: opts.signal, onProgress: opts.onProgress };
    await (ids === undefined ? this.index.add(y, o) : this.index.addWithIds(y, ids, o));
  }

  remove(ids: Ids): number {
    return this.index.remove(ids);
  }

  reconstruct(id: number | bigint): Float32Array {
    let v: Matrix = { rows: 1, dim: this.index.d, data: this.index.reconstruct(id) };
    for (let i = this.chain.length - 1; i >= 0; i--) v = this.chain[i].reverse(v);
    return v.data;
  }

  reset(): void {
    this.index.reset();
  }

  /** The wrapped index stores the entries: its code size. */
  get codeSize(): number {
    return this.index.codeSize;
  }

  /** The chain applied, then the wrapped index's encoding. */
  encode(x: Matrix): EncodedVectors {
    if (!this.isTrained) throw new LibvqError('NOT_TRAINED', 'IndexPreTransform.encode: the index is not trained; call train() first');
    checkMatrix(x, 'IndexPreTransform.encode vectors', this.d);
    return this.index.encode(this.applyChain(x));
  }

  addEncoded(entries: EncodedVectors, ids?: Ids): void {
    this.index.addEncoded(entries, ids);
  }

  readEntries(opts?: { codes?: boolean }): StoredEntries {
    return this.index.readEntries(opts);
  }

  parameters(): IndexParameters {
    const inner = this.index.parameters();
    return { ...inner, transforms: [...this.chain.map((t) => t.parameters()), ...inner.transforms] };
  }

  parametersChanged(): void {
    this.index.parametersChanged();
  }

  cloneEmpty(): IndexPreTransform {
    return new IndexPreTransform(this.chain.map((t) => t.clone()), this.index.cloneEmpty());
  }

  memoryBytes(): number {
    return this.index.memoryBytes() + this.chain.reduce((s, t) => s + t.dIn * t.dOut * 4, 0);
  }
}

/** t.apply(x), computed a block of rows at a time into shared memory. */
function applyIntoShared(t: VectorTransform, x: Matrix): Matrix {
  const out = sharedArray(Float32Array, x.rows * t.dOut);
  for (let r0 = 0; r0 < x.rows; r0 += 4096) {
    const r1 = Math.min(x.rows, r0 + 4096);
    out.set(t.apply(sliceRows(x, r0, r1)).data, r0 * t.dOut);
  }
  return { rows: x.rows, dim: t.dOut, data: out };
}
