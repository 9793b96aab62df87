import type { Backend, PackedLists } from '../backend/types.js';
import { fastScanSearch } from '../fastscan/fast-scan-search.js';
import { FastScanPacking } from '../fastscan/fast-scan-packing.js';
import type { Metric } from '../metric.js';
import { parallelSearch } from '../parallel/ops.js';
import type { IndexSnapshot } from '../parallel/protocol.js';
import { registerReplica } from '../parallel/replica.js';
import type { VectorsInput } from '../input/vectors-input.js';
import { checkSearch, searchPadded, threadsFor } from './checks.js';
import { IndexPQ } from './index-pq.js';
import type { SearchParams } from './index.js';
import { deliverResult, outOfSize, type SearchResult } from './search-result.js';

/**
 * PQ with 4-bit codes searched by fast-scan (faiss's IndexPQFastScan, factory `PQ<M>x4fs`): IndexPQ with
 * nbits = 4 for everything but search, which scores the codes from faiss's block layout with uint8 tables
 * (see IndexIVFPQFastScan). `kFactor` > 1 re-scores k·kFactor candidates with the float tables.
 */
export class IndexPQFastScan extends IndexPQ {
  protected override readonly replicaKind: string = 'pq-fs';
  /** Default re-ranking factor for search (1: report the quantized scores, as faiss does). */
  kFactor = 1;
  private readonly packing: FastScanPacking;
  private codesVersion = 0;
  private codesSeen: Uint8Array | null = null;

  constructor(d: number, M: number, metric: Metric = 'ip', backend?: string | Backend) {
    super(d, M, 4, metric, backend);
    this.packing = new FastScanPacking(M);
  }

  /** The codes in faiss's block layout, as one list. */
  packedLists(): PackedLists {
    // Every change to the codes replaces the array (add, remove, reset), so its identity versions them.
    if (this.codesSeen !== this.codes) {
      this.codesSeen = this.codes;
      this.codesVersion++;
    }
    return this.packing.of(this.codesVersion, new Int32Array([this.ntotal]), [this.codes]);
  }

  override searchSync(qs: VectorsInput, params: SearchParams): SearchResult {
    const q = this.input(qs, 'search queries', params?.column, true);
    checkSearch('IndexPQFastScan', this.d, this.isTrained, q, params);
    const threads = threadsFor('IndexPQFastScan.search', params.threads, this.threads);
    if (threads > 1 && q.rows > 1) return this.labelsToIds(parallelSearch(this, q, params, Math.min(threads, q.rows)));
    const M = this.pq.M;
    const src = {
      M,
      metric: this.metric,
      backend: this.backend,
      packed: this.packedLists(),
      readCode: (_l: number, o: number, out: Uint8Array) => out.set(this.codes.subarray(o * M, (o + 1) * M)),
      probes: null,
      coarseBias: false,
      perProbe: false,
      tables: (q0: number, q1: number) => this.pq.tablesOfRows(q, q0, q1, this.metric, this.backend),
      ids: null,
    };
    const r = searchPadded(q, params.k, this.ntotal, this.metric, (k) => fastScanSearch(src, q.rows, k, params.kFactor ?? this.kFactor, outOfSize(params.out, q.rows * k)));
    return this.labelsToIds(deliverResult(r, params.out));
  }

  override cloneEmpty(): IndexPQFastScan {
    const c = new IndexPQFastScan(this.d, this.pq.M, this.metric, this.backend);
    c.pq.centroids = this.pq.centroids.slice();
    c.pq.isTrained = this.pq.isTrained;
    c.threads = this.threads;
    c.kFactor = this.kFactor;
    return c;
  }

  static override fromShared(s: IndexSnapshot): IndexPQFastScan {
    return new IndexPQFastScan(s.d, s.M, s.metric, s.backend).adoptSnapshot(s);
  }

  override memoryBytes(): number {
    return super.memoryBytes() + this.packing.memoryBytes();
  }
}

registerReplica('pq-fs', IndexPQFastScan.fromShared);
