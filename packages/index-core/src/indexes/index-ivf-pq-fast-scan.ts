import type { Backend, PackedLists, Probes } from '../backend/types.js';
import { packedInvertedLists } from '../fastscan/arena.js';
import { fastScanSearch } from '../fastscan/fast-scan-search.js';
import type { Matrix } from '../matrix.js';
import { threadScratch } from '../scratch-arrays.js';
import type { Metric } from '../metric.js';
import type { IndexSnapshot } from '../parallel/protocol.js';
import { registerReplica } from '../parallel/replica.js';
import { packed4Layout } from './code-layout.js';
import { IndexFlat } from './index-flat.js';
import { IndexIVF } from './index-ivf.js';
import { IndexIVFPQ } from './index-ivf-pq.js';
import { InvertedLists } from './inverted-lists.js';
import type { SearchOutput, SearchParams } from './index.js';

/**
 * IVF-PQ with 4-bit codes searched by fast-scan (faiss's IndexIVFPQFastScan). As in faiss, `IVF<n>,PQ<M>x4fs`
 * encodes the vectors themselves (by_residual false: one table per query, no per-list term — faiss's default
 * "because it's much faster") and `IVF<n>,PQ<M>x4fsr` their residuals to the list centroid (more accurate; l2
 * then needs one table per probed list). Training, encoding, add, remove and files are otherwise
 * IndexIVFPQ's with nbits = 4; the lists keep their codes only in faiss's block layout (half a byte per
 * sub-quantizer, code-layout.ts packed4), placed in one shared WebAssembly arena at the first search after a change
 * (fastscan/arena.ts) that the kernel of every thread scans in place. Search quantizes the query's tables to uint8 and
 * scores 32 codes per SIMD step. `kFactor` > 1 re-scores k·kFactor candidates with the float tables
 * (SearchParams.kFactor).
 */
export class IndexIVFPQFastScan extends IndexIVFPQ {
  /** Default re-ranking factor for search (1: report the quantized scores, as faiss does). */
  kFactor = 1;
  private readonly residual: boolean;

  constructor(d: number, nlist: number, M: number, metric: Metric = 'ip', backend?: string | Backend, quantizer?: IndexFlat, byResidual = false) {
    super(d, nlist, M, 4, metric, backend, quantizer);
    this.invlists = new InvertedLists(nlist, M, packed4Layout(M));
    this.residual = byResidual;
  }

  override get byResidual(): boolean {
    return this.residual;
  }

  /** The lists' codes in faiss's block layout (fastscan/pack-blocks.ts), in their arena. */
  packedLists(): PackedLists {
    return packedInvertedLists(this.invlists);
  }

  protected override scan(q: Matrix, probes: Probes, k: number, params?: SearchParams, out?: SearchOutput) {
    const { M } = this.pq;
    const ip = this.metric === 'ip';
    const inv = this.invlists;
    // Without residuals (or with ip) one table per query serves every list; l2 with residuals needs one per list.
    const perProbe = this.byResidual && !ip;
    const tsize = M * 16;
    const nprobe = probes.nprobe;
    return fastScanSearch(
      {
        M,
        metric: this.metric,
        backend: this.backend,
        packed: this.packedLists(),
        readCode: (l, o, out) => inv.readEntry(l, o, out),
        probes,
        // ip with residuals: <q, c> + Σ <q_m, cw>, the coarse term as the list's bias; without residuals no bias.
        coarseBias: this.byResidual,
        perProbe,
        // l2 with residuals: per probed list, its term ‖cw‖² + 2<c_m, cw> plus −2<q_m, cw>, summed as
        // IndexIVFPQ's 8-bit scan sums them.
        tables: (q0, q1) => {
          const qTables = this.pq.tablesOfRows(q, q0, q1, perProbe ? 'ip' : this.metric, this.backend);
          if (!perProbe) return qTables;
          const out = threadScratch.f32('list tables', (q1 - q0) * nprobe * tsize);
          for (let i = q0; i < q1; i++) {
            for (let p = 0; p < nprobe; p++) {
              const l = probes.lists[i * nprobe + p];
              const o = ((i - q0) * nprobe + p) * tsize;
              // An unfilled probe (no list) is never scanned; its table is zeros, as a fresh array's, for the quantization.
              if (l < 0) {
                out.fill(0, o, o + tsize);
                continue;
              }
              const lt = this.listTerm(l);
              for (let j = 0; j < tsize; j++) out[o + j] = qTables[(i - q0) * tsize + j] * -2 + lt[j];
            }
          }
          return out;
        },
        ids: inv.contiguousIds(),
      },
      q.rows,
      k,
      params?.kFactor ?? this.kFactor,
      out,
    );
  }


  protected override sharedModel() {
    return { ...super.sharedModel(), kind: this.byResidual ? 'ivf-pq-fsr' : 'ivf-pq-fs' };
  }

  static override fromShared(s: IndexSnapshot): IndexIVFPQFastScan {
    const p = new IndexIVFPQFastScan(s.d, s.nlist, s.M, s.metric, s.backend, IndexIVF.sharedQuantizer(s), s.kind === 'ivf-pq-fsr');
    p.pq.centroids = s.codebooks!;
    p.pq.isTrained = true;
    return p.adoptSharedLists(s);
  }

  protected override emptyLike(quantizer: IndexFlat): IndexIVFPQFastScan {
    const c = new IndexIVFPQFastScan(this.d, this.nlist, this.pq.M, this.metric, this.backend, quantizer, this.byResidual);
    c.pq.centroids = this.pq.centroids.slice();
    c.pq.isTrained = this.pq.isTrained;
    c.kFactor = this.kFactor;
    return c;
  }
}

registerReplica('ivf-pq-fs', IndexIVFPQFastScan.fromShared);
registerReplica('ivf-pq-fsr', IndexIVFPQFastScan.fromShared);
