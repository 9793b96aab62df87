import { LibvqError } from '../errors.js';
import type { IndexParameters } from './index.js';
import type { Backend, ListView, Probes } from '../backend/types.js';
import { listsArena } from '../fastscan/arena.js';
import type { Matrix } from '../matrix.js';
import type { Metric } from '../metric.js';
import type { IndexSnapshot } from '../parallel/protocol.js';
import { registerReplica } from '../parallel/replica.js';
import { sharedArray } from '../parallel/shared.js';
import { ProductQuantizer } from '../product-quantizer.js';
import { IndexFlat } from './index-flat.js';
import { IndexIVF } from './index-ivf.js';
import { checkCodeRange } from './checks.js';
import type { SearchOutput, SearchParams, TrainOptions } from './index.js';

/** Queries per scan batch (IndexIVFPQ.scan); their tables go to the thread's scratch. */
export const IVF_PQ_SCAN_BATCH = 64;

/**
 * IVF with PQ-coded residuals to the list centroid (faiss's IndexIVFPQ, by_residual).
 * ip:  score = <q, c> + Σ_m <q_m, codeword>            (one table per query, shared by all lists)
 * l2:  ‖q − c − r‖² = ‖q − c‖² + Σ_m (‖cw‖² + 2<c_m, cw> − 2<q_m, cw>)   (faiss's precomputed tables:
 *      the list term is computed once per list and cached)
 */
export class IndexIVFPQ extends IndexIVF {
  readonly pq: ProductQuantizer;
  private listTermCache: (Float32Array | undefined)[] = [];

  constructor(d: number, nlist: number, M: number, nbits = 8, metric: Metric = 'ip', backend?: string | Backend, quantizer?: IndexFlat) {
    const pq = new ProductQuantizer(d, M, nbits);
    super(quantizer ?? new IndexFlat(d, metric, backend), d, nlist, pq.codeSize, metric, backend);
    this.pq = pq;
  }

  protected encoderTrained(): boolean {
    return this.pq.isTrained;
  }

  /** faiss trains the PQ on at most 256 points per codeword. */
  protected encoderTrainingRows(): number {
    return 256 * this.pq.ksub;
  }

  protected trainEncoder(x: Matrix, listNos: Int32Array, opts: TrainOptions): void {
    // Residuals in shared memory when the PQ trains on several threads: its workers read them without a copy.
    const shared = (opts.threads ?? 1) > 1 && this.pq.M > 1;
    this.pq.train(this.residuals(x, listNos, shared), { seed: opts.seed, signal: opts.signal, onProgress: opts.onProgress, backend: this.backend, threads: opts.threads });
  }

  protected sharedModel() {
    return { kind: 'ivf-pq', M: this.pq.M, nbits: this.pq.nbits, codebooks: this.pq.centroids };
  }

  /** The index a snapshot describes, over its shared buffers (no copy). */
  static fromShared(s: IndexSnapshot): IndexIVFPQ {
    const p = new IndexIVFPQ(s.d, s.nlist, s.M, s.nbits, s.metric, s.backend, IndexIVF.sharedQuantizer(s));
    p.pq.centroids = s.codebooks!;
    p.pq.isTrained = true;
    return p.adoptSharedLists(s);
  }

  protected adoptEncoder(p: IndexParameters): void {
    if (p.codebooks === undefined || p.codebooks.data.length !== this.pq.centroids.length) throw new LibvqError('INTERNAL', 'IndexIVFPQ.adoptTrained: codebooks of another shape');
    this.pq.centroids = p.codebooks.data.slice();
    this.pq.isTrained = true;
  }

  protected encoderParameters() {
    const { M, nbits, ksub, dsub, centroids } = this.pq;
    return { codebooks: { M, nbits, ksub, dsub, data: centroids }, storage: 'pq' as const, ...(this.byResidual ? {} : { byResidual: false }) };
  }

  /** Also drops the cached per-list l2 tables (they depend on centroids and codebooks). */
  override parametersChanged(): void {
    super.parametersChanged();
    this.pq.parametersChanged();
    this.listTermCache = [];
  }

  protected override checkCodeValues(codes: Uint8Array): void {
    checkCodeRange('IndexIVFPQ.addEncoded', codes, this.pq.ksub);
  }

  protected emptyLike(quantizer: IndexFlat): IndexIVFPQ {
    const c = new IndexIVFPQ(this.d, this.nlist, this.pq.M, this.pq.nbits, this.metric, this.backend, quantizer);
    c.pq.centroids = this.pq.centroids.slice();
    c.pq.isTrained = this.pq.isTrained;
    return c;
  }

  /** Whether list entries encode the residual to their list's centroid (faiss's by_residual; always, here). */
  get byResidual(): boolean {
    return true;
  }

  /** What the PQ encodes: the residuals x − c_list (by_residual), or x itself. */
  residuals(x: Matrix, listNos: Int32Array, shared = false): Matrix {
    const d = this.d;
    const c = this.quantizer.vectors.data;
    if (!this.byResidual && !shared) return x;
    const out = shared ? sharedArray(Float32Array, x.rows * d) : new Float32Array(x.rows * d);
    if (!this.byResidual) {
      out.set(x.data.subarray(0, x.rows * d));
      return { rows: x.rows, dim: d, data: out };
    }
    for (let i = 0; i < x.rows; i++) {
      const co = listNos[i] * d;
      for (let j = 0; j < d; j++) out[i * d + j] = x.data[i * d + j] - c[co + j];
    }
    return { rows: x.rows, dim: d, data: out };
  }

  encodeVectors(x: Matrix, listNos: Int32Array): Uint8Array {
    // x was checked by add / encode; its residuals to finite centroids are finite (|x| ≤ MAX_MAGNITUDE).
    // The residuals x − c_list are formed block by block as the rows are split into sub-spaces: a copy of the whole
    // batch (26 MB per 65,536 rows at d = 100) was garbage per batch. Each value is the same float32 difference.
    return this.pq.codesOfChecked(x, this.backend, this.byResidual ? { rows: listNos, vectors: this.quantizer.vectors.data } : undefined);
  }

  /** The probes, and the query's float tables: M × ksub floats (M × 16 for fast-scan). */
  protected override searchBytesPerQuery(nprobe: number): number {
    return super.searchBytesPerQuery(nprobe) + this.pq.M * this.pq.ksub * 4;
  }

  /**
   * Batches of IVF_PQ_SCAN_BATCH queries: their tables (M × ksub floats each, 20 KB at PQ20x8) in this thread's
   * scratch, the results straight into the search's arrays. One table array for a whole search (20 MB per 1,000
   * queries) was fresh memory at every call: its page faults, and the ids read through per-list arrays, made a GloVe
   * query at nprobe 8 take ~118 µs where it now takes ~68 (both from source, one process).
   */
  protected scan(q: Matrix, probes: Probes, k: number, _params?: SearchParams, out?: SearchOutput): { distances: Float32Array; labels: Float64Array } {
    const { M, ksub } = this.pq;
    const { nprobe } = probes;
    const lists = this.scannedLists();
    // The scan writes every entry (padding included): the caller's arrays (SearchParams.out) serve as they are.
    const distances = out?.distances ?? new Float32Array(q.rows * k);
    const labels = out?.labels ?? new Float64Array(q.rows * k);
    for (let q0 = 0; q0 < q.rows; q0 += IVF_PQ_SCAN_BATCH) {
      const q1 = Math.min(q.rows, q0 + IVF_PQ_SCAN_BATCH);
      const tables = this.pq.tablesOfRows(q, q0, q1, 'ip', this.backend);
      const batch = { nprobe, lists: probes.lists.subarray(q0 * nprobe, q1 * nprobe), bias: probes.bias.subarray(q0 * nprobe, q1 * nprobe) };
      const into = { distances: distances.subarray(q0 * k, q1 * k), labels: labels.subarray(q0 * k, q1 * k) };
      if (this.metric === 'ip') {
        this.backend.ivfAdcScan(tables, lists, batch, M, ksub, k, 'ip', undefined, into);
        continue;
      }
      for (let i = 0; i < tables.length; i++) tables[i] *= -2;
      this.backend.ivfAdcScan(tables, lists, batch, M, ksub, k, 'l2', (l) => this.listTerm(l), into);
    }
    return { distances, labels };
  }

  /**
   * The lists as the scan reads them: their codes in one shared WebAssembly arena (fastscan/arena.ts, placed at the
   * first search after a change), which the kernel of every thread scans in place. Copying each probed list into the
   * kernel's memory cost a memcpy per code, and out of the shared copy a threaded search made, V8's relaxed-atomic
   * one (GloVe IVF1024,PQ20x8, one thread: searches 25–37% slower over lists in a SharedArrayBuffer).
   */
  protected scannedLists(): ListView {
    const arena = listsArena(this.invlists);
    const inv = this.invlists;
    return { sizes: inv.sizes, codes: inv.codes, ids: inv.ids, flatIds: inv.contiguousIds(), ...(arena ? { arena } : {}) };
  }

  /** Threads read the lists where they lie: placed in their arena first, the snapshot shares it instead of a copy. */
  override share(withData: boolean): IndexSnapshot {
    if (withData) this.scannedLists();
    return super.share(withData);
  }

  /** ‖cw_mj‖² + 2<c_l,m, cw_mj> for list l: the query-independent part of the l2 table. */
  protected listTerm(l: number): Float32Array {
    const cached = this.listTermCache[l];
    if (cached) return cached;
    const { M, ksub, dsub, centroids } = this.pq;
    const c = this.quantizer.vectors.data;
    const out = new Float32Array(M * ksub);
    for (let m = 0; m < M; m++) {
      for (let j = 0; j < ksub; j++) {
        const cw = (m * ksub + j) * dsub;
        let s = 0;
        for (let t = 0; t < dsub; t++) {
          const v = centroids[cw + t];
          s += v * v + 2 * c[l * this.d + m * dsub + t] * v;
        }
        out[m * ksub + j] = s;
      }
    }
    this.listTermCache[l] = out;
    return out;
  }

  protected decodeEntry(list: number, code: Uint8Array): Float32Array {
    const r = this.pq.decode(code, 1).data;
    if (!this.byResidual) return r;
    const c = this.quantizer.vectors.data;
    for (let j = 0; j < this.d; j++) r[j] += c[list * this.d + j];
    return r;
  }

  override memoryBytes(): number {
    let tables = 0;
    for (const t of this.listTermCache) if (t) tables += t.byteLength;
    return super.memoryBytes() + this.pq.centroids.byteLength + tables;
  }
}

registerReplica('ivf-pq', IndexIVFPQ.fromShared);
