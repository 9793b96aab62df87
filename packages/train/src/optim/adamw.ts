import { LibvqError } from '@libvq/index-core';
import { invalidArgument } from '@libvq/index-core/util';
import type { Floats } from '../grad/types.js';

export interface AdamWOptions {
  /** Base learning rate (multiplied by the schedule's factor at each step). */
  readonly lr: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  /** Decoupled weight decay (Loshchilov & Hutter); LibVQ uses 0.01 on encoder weights, 0 on the index. */
  readonly weightDecay?: number;
  /**
   * Moments in float64 (default) or float32. Large embedding tables use float32: two float64 moments of a
   * 341k x 100 table would be 550 MB.
   */
  readonly stateDtype?: 'float64' | 'float32';
}

/**
 * AdamW as torch.optim.AdamW computes it, per element, at step t (1-based):
 *   p <- p - lr * wd * p
 *   m <- b1 m + (1 - b1) g          v <- b2 v + (1 - b2) g^2
 *   p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * `stepRows` is the sparse variant for embedding tables: only the rows a batch touched are decayed and
 * updated, and only their moments move (like torch's SparseAdam, the bias correction uses the optimiser's
 * global step count).
 */
export class AdamW {
  readonly m: Float64Array | Float32Array;
  readonly v: Float64Array | Float32Array;
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Number of steps taken (the t of the bias correction). */
  t = 0;

  constructor(
    readonly param: Floats,
    readonly rowSize: number,
    opts: AdamWOptions,
    readonly name = 'param',
  ) {
    const pos = (v: number, what: string): void => {
      if (!(v >= 0 && Number.isFinite(v))) throw invalidArgument(`${name}.${what}`, 'a finite number >= 0', v);
    };
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    pos(this.lr, 'lr');
    pos(this.eps, 'eps');
    pos(this.weightDecay, 'weightDecay');
    if (!(this.beta1 >= 0 && this.beta1 < 1)) throw invalidArgument(`${name}.beta1`, 'a number in [0, 1)', this.beta1);
    if (!(this.beta2 >= 0 && this.beta2 < 1)) throw invalidArgument(`${name}.beta2`, 'a number in [0, 1)', this.beta2);
    if (!Number.isInteger(rowSize) || rowSize <= 0 || param.length % rowSize !== 0) {
      throw invalidArgument(`${name}.rowSize`, `a positive divisor of the parameter length ${param.length}`, rowSize);
    }
    const Arr = opts.stateDtype === 'float32' ? Float32Array : Float64Array;
    this.m = new Arr(param.length);
    this.v = new Arr(param.length);
  }

  /** Dense step over the whole parameter; `lrFactor` is the schedule's factor. */
  step(grad: Floats, lrFactor = 1): void {
    if (grad.length !== this.param.length) {
      throw new LibvqError('DIMENSION_MISMATCH', `${this.name}: gradient has ${grad.length} values, expected ${this.param.length}`);
    }
    this.t++;
    this.update(0, grad, 0, this.param.length, lrFactor);
  }

  /**
   * Sparse step: `grad` holds rows.length compact rows (rows.length x rowSize), row r of it belonging to
   * parameter row rows[r]. Rows must be distinct (sum duplicates first).
   */
  stepRows(rows: Int32Array, grad: Floats, lrFactor = 1): void {
    const rs = this.rowSize;
    const nRows = this.param.length / rs;
    if (grad.length !== rows.length * rs) {
      throw new LibvqError('DIMENSION_MISMATCH', `${this.name}: sparse gradient has ${grad.length} values, expected rows.length*rowSize = ${rows.length}*${rs}`);
    }
    const seen = new Set<number>();
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      if (!(row >= 0 && row < nRows)) throw invalidArgument(`${this.name} rows[${r}]`, `a row in [0, ${nRows})`, row);
      if (seen.has(row)) throw invalidArgument(`${this.name} rows[${r}]`, 'distinct rows (sum duplicate rows first)', row);
      seen.add(row);
    }
    this.t++;
    for (let r = 0; r < rows.length; r++) this.update(rows[r] * rs, grad, r * rs, rs, lrFactor);
  }

  private update(po: number, g: Floats, go: number, len: number, lrFactor: number): void {
    const { param: p, m, v, beta1: b1, beta2: b2, eps } = this;
    const lr = this.lr * lrFactor;
    const decay = 1 - lr * this.weightDecay;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (let i = 0; i < len; i++) {
      const gi = g[go + i];
      if (gi - gi !== 0) throw new LibvqError('NON_FINITE', `${this.name}: gradient component ${po + i} is ${gi}`);
      const k = po + i;
      const mi = b1 * m[k] + (1 - b1) * gi;
      const vi = b2 * v[k] + (1 - b2) * gi * gi;
      m[k] = mi;
      v[k] = vi;
      p[k] = p[k] * decay - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
    }
  }

  /** Moments and step count, for per-epoch checkpoints. */
  exportState(): { t: number; m: Float64Array | Float32Array; v: Float64Array | Float32Array } {
    return { t: this.t, m: this.m.slice(), v: this.v.slice() };
  }

  /** Restores exportState()'s output (resume). */
  importState(s: { t: number; m: ArrayLike<number>; v: ArrayLike<number> }): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) {
      throw new LibvqError('DIMENSION_MISMATCH', `${this.name}: optimiser state has ${s.m.length}/${s.v.length} moments, expected ${this.m.length}`);
    }
    this.m.set(s.m);
    this.v.set(s.v);
    this.t = s.t;
  }
}
