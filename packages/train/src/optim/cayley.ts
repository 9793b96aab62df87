import { LibvqError } from '@libvq/index-core';
import { invalidArgument } from '@libvq/index-core/util';
import type { Floats } from '../grad/types.js';

/**
 * Solves P Y = Rhs in place of Rhs (P: n x n, Rhs: n x p, both row-major float64) by LU with partial
 * pivoting. P is overwritten. Throws when P is singular (cannot happen for I + sA with A skew-symmetric,
 * whose eigenvalues are 1 + i*s*lambda, but a non-finite gradient could still get here).
 */
export function solveInPlace(P: Float64Array, Rhs: Float64Array, n: number, p: number): void {
  for (let col = 0; col < n; col++) {
    let piv = col;
    let best = Math.abs(P[col * n + col]);
    for (let r = col + 1; r < n; r++) {
      const v = Math.abs(P[r * n + col]);
      if (v > best) {
        best = v;
        piv = r;
      }
    }
    if (!(best > 1e-300)) throw new LibvqError('NON_FINITE', `Cayley retraction: singular system at column ${col} (non-finite rotation gradient?)`);
    if (piv !== col) {
      for (let k = 0; k < n; k++) {
        const t = P[col * n + k];
        P[col * n + k] = P[piv * n + k];
        P[piv * n + k] = t;
      }
      for (let k = 0; k < p; k++) {
        const t = Rhs[col * p + k];
        Rhs[col * p + k] = Rhs[piv * p + k];
        Rhs[piv * p + k] = t;
      }
    }
    const inv = 1 / P[col * n + col];
    for (let r = col + 1; r < n; r++) {
      const f = P[r * n + col] * inv;
      if (f === 0) continue;
      for (let k = col; k < n; k++) P[r * n + k] -= f * P[col * n + k];
      for (let k = 0; k < p; k++) Rhs[r * p + k] -= f * Rhs[col * p + k];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    const inv = 1 / P[r * n + r];
    for (let k = 0; k < p; k++) {
      let s = Rhs[r * p + k];
      for (let c = r + 1; c < n; c++) s -= P[r * n + c] * Rhs[c * p + k];
      Rhs[r * p + k] = s * inv;
    }
  }
}

/**
 * Cayley retraction on the Stiefel manifold (Wen & Yin 2013), for R (dOut x dIn, dOut <= dIn) with
 * orthonormal rows, seen as X = R^T (dIn x dOut) with orthonormal columns. For a direction G (dOut x dIn; the
 * Euclidean gradient, or an Adam-preconditioned one):
 *   A = G^T R - R^T G                       (dIn x dIn, skew-symmetric; A X is G^T projected on the tangent space)
 *   Y = (I + s A)^-1 (I - s A) X,  s = lr/2   R <- Y^T
 * Y^T Y = X^T X exactly (the Cayley transform of a skew matrix is orthogonal), so R stays orthonormal up to
 * float64 rounding, and dY/dlr at 0 = -A X, whose inner product with the gradient is -||A||_F^2 / 2 <= 0
 * when G is the gradient: a descent direction. Works in place on R.
 */
export function cayleyRetract(R: Float64Array, dOut: number, dIn: number, G: Floats, lr: number): void {
  const n = dIn;
  const s = lr / 2;
  const A = new Float64Array(n * n);
  for (let r = 0; r < dOut; r++) {
    const o = r * dIn;
    for (let a = 0; a < n; a++) {
      const ga = G[o + a];
      const ra = R[o + a];
      if (ga === 0 && ra === 0) continue;
      for (let b = 0; b < n; b++) A[a * n + b] += ga * R[o + b] - ra * G[o + b];
    }
  }
  // Rhs = X - s A X (dIn x dOut), P = I + s A
  const rhs = new Float64Array(n * dOut);
  for (let a = 0; a < n; a++) for (let c = 0; c < dOut; c++) rhs[a * dOut + c] = R[c * dIn + a];
  const out = Float64Array.from(rhs);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      const v = s * A[a * n + b];
      if (v === 0) continue;
      for (let c = 0; c < dOut; c++) out[a * dOut + c] -= v * rhs[b * dOut + c];
    }
  }
  const P = A;
  for (let i = 0; i < n * n; i++) P[i] *= s;
  for (let a = 0; a < n; a++) P[a * n + a] += 1;
  solveInPlace(P, out, n, dOut);
  for (let a = 0; a < n; a++) for (let c = 0; c < dOut; c++) R[c * dIn + a] = out[a * dOut + c];
}

/** max |R R^T - I| over the dOut x dOut entries (rows orthonormal). */
export function orthogonalityError(R: Floats, dOut: number, dIn: number): number {
  let worst = 0;
  for (let a = 0; a < dOut; a++) {
    for (let b = a; b < dOut; b++) {
      let s = 0;
      for (let k = 0; k < dIn; k++) s += R[a * dIn + k] * R[b * dIn + k];
      worst = Math.max(worst, Math.abs(s - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

/**
 * Newton-Schulz steps towards the nearest matrix with orthonormal rows, R <- 1.5 R - 0.5 R R^T R. Used once to
 * clean the float32 rounding of a rotation read from an index before training it in float64.
 */
export function reorthonormalize(R: Float64Array, dOut: number, dIn: number, iterations = 3): void {
  const RRt = new Float64Array(dOut * dOut);
  const next = new Float64Array(dOut * dIn);
  for (let it = 0; it < iterations; it++) {
    for (let a = 0; a < dOut; a++) {
      for (let b = 0; b < dOut; b++) {
        let s = 0;
        for (let k = 0; k < dIn; k++) s += R[a * dIn + k] * R[b * dIn + k];
        RRt[a * dOut + b] = s;
      }
    }
    for (let a = 0; a < dOut; a++) {
      for (let k = 0; k < dIn; k++) {
        let s = 0;
        for (let b = 0; b < dOut; b++) s += RRt[a * dOut + b] * R[b * dIn + k];
        next[a * dIn + k] = 1.5 * R[a * dIn + k] - 0.5 * s;
      }
    }
    R.set(next);
  }
}

export interface RotationOptimizerOptions {
  readonly lr: number;
  /** Precondition the direction with Adam's moments (default) or follow the raw gradient. */
  readonly adaptive?: boolean;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
}

/**
 * Learns the OPQ rotation while keeping it orthonormal: a float64 master copy is moved by a Cayley retraction
 * along the (optionally Adam-preconditioned) gradient. LibVQ keeps this rotation fixed.
 */
export class RotationOptimizer {
  readonly R: Float64Array;
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private readonly dir: Float64Array;
  t = 0;
  readonly lr: number;
  readonly adaptive: boolean;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  constructor(init: Floats, readonly dOut: number, readonly dIn: number, opts: RotationOptimizerOptions) {
    if (!(dOut > 0 && dOut <= dIn) || init.length !== dOut * dIn) {
      throw invalidArgument('rotation', `a dOut x dIn matrix with dOut <= dIn (${dOut} x ${dIn})`, init);
    }
    if (!(opts.lr >= 0 && Number.isFinite(opts.lr))) throw invalidArgument('rotation.lr', 'a finite number >= 0', opts.lr);
    this.R = Float64Array.from(init);
    const err = orthogonalityError(this.R, dOut, dIn);
    if (!(err < 1e-3)) throw invalidArgument('rotation', 'a matrix with orthonormal rows (|R R^T - I| < 1e-3)', `one with error ${err}`);
    reorthonormalize(this.R, dOut, dIn);
    this.lr = opts.lr;
    this.adaptive = opts.adaptive ?? true;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.m = new Float64Array(init.length);
    this.v = new Float64Array(init.length);
    this.dir = new Float64Array(init.length);
  }

  step(grad: Floats, lrFactor = 1): void {
    if (grad.length !== this.R.length) throw new LibvqError('DIMENSION_MISMATCH', `rotation gradient has ${grad.length} values, expected ${this.R.length}`);
    this.t++;
    const { m, v, dir, beta1: b1, beta2: b2, eps } = this;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (let i = 0; i < grad.length; i++) {
      const g = grad[i];
      if (g - g !== 0) throw new LibvqError('NON_FINITE', `rotation gradient component ${i} is ${g}`);
      if (!this.adaptive) {
        dir[i] = g;
        continue;
      }
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      dir[i] = m[i] / c1 / (Math.sqrt(v[i] / c2) + eps);
    }
    cayleyRetract(this.R, this.dOut, this.dIn, dir, this.lr * lrFactor);
  }

  /** Master rotation, moments and step count, for per-epoch checkpoints. */
  exportState(): { t: number; R: Float64Array; m: Float64Array; v: Float64Array } {
    return { t: this.t, R: this.R.slice(), m: this.m.slice(), v: this.v.slice() };
  }

  /** Restores exportState()'s output (resume). */
  importState(s: { t: number; R: ArrayLike<number>; m: ArrayLike<number>; v: ArrayLike<number> }): void {
    if (s.R.length !== this.R.length || s.m.length !== this.m.length || s.v.length !== this.v.length) {
      throw new LibvqError('DIMENSION_MISMATCH', `rotation optimiser state: ${s.R.length} values, expected ${this.R.length}`);
    }
    this.R.set(s.R);
    this.m.set(s.m);
    this.v.set(s.v);
    this.t = s.t;
  }

  /** Copies the master rotation into a float32 (or float64) target, e.g. the index's OPQMatrix.A. */
  writeTo(target: Floats): void {
    target.set(this.R);
  }
}
