import type { Backend, Probes } from '../backend/types.js';
import type { Matrix } from '../matrix.js';
import type { Metric } from '../metric.js';
import { IndexFlat } from './index-flat.js';
import { IndexIVF } from './index-ivf.js';
import type { IndexSnapshot } from '../parallel/protocol.js';
import { registerReplica } from '../parallel/replica.js';

/** IVF storing raw float32 vectors in the lists (faiss's IndexIVFFlat). */
export class IndexIVFFlat extends IndexIVF {
  constructor(d: number, nlist: number, metric: Metric = 'ip', backend?: string | Backend, quantizer?: IndexFlat) {
    super(quantizer ?? new IndexFlat(d, metric, backend), d, nlist, d * 4, metric, backend);
  }

  protected encoderTrained(): boolean {
    return true;
  }

  /** Raw vectors: nothing to train. */
  protected encoderTrainingRows(): number {
    return 0;
  }

  protected trainEncoder(): void {}

  protected sharedModel() {
    return { kind: 'ivf-flat' };
  }

  /** Raw storage: no encoder parameters. */
  protected adoptEncoder(): void {}

  protected encoderParameters() {
    return { storage: 'vectors' as const };
  }

  protected emptyLike(quantizer: IndexFlat): IndexIVFFlat {
    return new IndexIVFFlat(this.d, this.nlist, this.metric, this.backend, quantizer);
  }

  /** The index a snapshot describes, over its shared buffers (no copy). */
  static fromShared(s: IndexSnapshot): IndexIVFFlat {
    return new IndexIVFFlat(s.d, s.nlist, s.metric, s.backend, IndexIVF.sharedQuantizer(s)).adoptSharedLists(s);
  }

  encodeVectors(x: Matrix): Uint8Array {
    return new Uint8Array(x.data.slice().buffer);
  }

  protected scan(q: Matrix, probes: Probes, k: number) {
    return this.backend.ivfFlatScan(q, this.invlists, probes, k, this.metric);
  }

  protected decodeEntry(_list: number, code: Uint8Array): Float32Array {
    return new Float32Array(code.slice().buffer);
  }
}

registerReplica('ivf-flat', IndexIVFFlat.fromShared);
