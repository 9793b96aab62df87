import { invalidArgument } from '@libvq/index-core/util';
import type { LossWeights } from './types.js';

/** A loss weight: a number, or LibVQ's rule measured once on the first batch. */
export type LossWeightSpec = number | 'scaled_to_pqloss' | 'scaled_to_denseloss';

export interface LossWeightOptions {
  /** LibVQ's encoder_weight (the dense loss). Default 1. */
  readonly dense?: number;
  /** LibVQ's pq_weight. Default 1; 'scaled_to_denseloss' = L_dense / L_pq on the first batch. */
  readonly pq?: number | 'scaled_to_denseloss';
  /** LibVQ's ivf_weight. Default 'scaled_to_pqloss' = L_pq / L_ivf on the first batch. */
  readonly ivf?: number | 'scaled_to_pqloss' | 'scaled_to_denseloss';
}

/**
 * Resolves the weights of total = w_dense L_dense + w_pq L_pq + w_ivf L_ivf. A `scaled_to_*` weight is
 * measured on the first batch (ratio of that batch's losses, as LibVQ does) and then held for the whole run.
 * Where LibVQ divides by (L + 1e-6) we do the same. One deliberate difference: LibVQ's `ivf` method (no PQ)
 * gets w_ivf = 0 / L_ivf = 0 and so never trains its centroids; here a ratio whose numerator loss is absent
 * falls back to 1.
 */
export class LossWeighting {
  private resolved: LossWeights | null = null;
  constructor(private readonly spec: LossWeightOptions = {}) {
    const check = (v: unknown, name: string, words: string[]): void => {
      if (v === undefined || words.includes(v as string)) return;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw invalidArgument(`lossWeights.${name}`, `a finite number >= 0${words.length ? ' or ' + words.map((w) => `'${w}'`).join(' / ') : ''}`, v);
      }
    };
    check(spec.dense, 'dense', []);
    check(spec.pq, 'pq', ['scaled_to_denseloss']);
    check(spec.ivf, 'ivf', ['scaled_to_pqloss', 'scaled_to_denseloss']);
  }

  /** The weights for a batch whose unweighted losses are given (only the first call measures). */
  resolve(losses: { dense?: number; pq?: number; ivf?: number }): LossWeights {
    if (this.resolved) return this.resolved;
    const ratio = (num: number | undefined, den: number | undefined): number =>
      num === undefined || den === undefined ? 1 : num / (den + 1e-6);
    const dense = this.spec.dense ?? 1;
    const pqSpec = this.spec.pq ?? 1;
    const pq = pqSpec === 'scaled_to_denseloss' ? ratio(losses.dense, losses.pq) : pqSpec;
    const ivfSpec = this.spec.ivf ?? 'scaled_to_pqloss';
    const ivf =
      ivfSpec === 'scaled_to_pqloss' ? ratio(losses.pq, losses.ivf)
        : ivfSpec === 'scaled_to_denseloss' ? ratio(losses.dense, losses.ivf)
          : ivfSpec;
    this.resolved = { dense, pq, ivf };
    return this.resolved;
  }

  /** The weights once measured (null before the first batch), for checkpoints and resume. */
  get current(): LossWeights | null {
    return this.resolved;
  }

  /** Restores measured weights (resume from a checkpoint). */
  restore(w: LossWeights): void {
    this.resolved = { ...w };
  }
}
