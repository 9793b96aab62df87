import { LibvqError } from '@libvq/index-core';
import { invalidArgument } from '@libvq/index-core/util';
import { AdamW } from '../optim/adamw.js';
import { stateArray, stateStep, type TowerState } from './types.js';

/**
 * y = W x, W dim x dim initialised to the identity (so an untrained head changes nothing), trained by AdamW.
 * Square on purpose: the index was built on the frozen embeddings, and the head only moves the query within
 * that space.
 */
export class LinearHead {
  readonly W: Float64Array;
  readonly grad: Float64Array;
  private readonly opt: AdamW;
  private x: Float64Array | null = null;
  private B = 0;

  constructor(readonly dim: number, lr: number, weightDecay = 0) {
    if (!Number.isInteger(dim) || dim < 1) throw invalidArgument('head dim', 'a positive integer', dim);
    this.W = new Float64Array(dim * dim);
    for (let i = 0; i < dim; i++) this.W[i * dim + i] = 1;
    this.grad = new Float64Array(dim * dim);
    this.opt = new AdamW(this.W, dim, { lr, weightDecay }, 'head');
  }

  /** B x dim -> B x dim; keeps x for backward. */
  forward(x: Float64Array, B: number): Float64Array {
    const d = this.dim;
    if (x.length !== B * d) throw new LibvqError('DIMENSION_MISMATCH', `head: input has ${x.length} values, expected ${B}x${d}`);
    this.x = x;
    this.B = B;
    const y = new Float64Array(B * d);
    const W = this.W;
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += W[i * d + j] * x[b * d + j];
        y[b * d + i] = s;
      }
    }
    return y;
  }

  /** dy -> dx, accumulating dW += dy x^T. */
  backward(dy: Float64Array): Float64Array {
    const { dim: d, B, W, grad } = this;
    const x = this.x;
    if (!x || dy.length !== B * d) throw new LibvqError('INVALID_ARGUMENT', 'head: backward without a matching forward');
    const dx = new Float64Array(B * d);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < d; i++) {
        const g = dy[b * d + i];
        if (g === 0) continue;
        for (let j = 0; j < d; j++) {
          grad[i * d + j] += g * x[b * d + j];
          dx[b * d + j] += g * W[i * d + j];
        }
      }
    }
    return dx;
  }

  step(lrFactor = 1): void {
    this.opt.step(this.grad, lrFactor);
    this.grad.fill(0);
  }

  /** W, its AdamW moments and step count, named `{prefix}`, `{prefix}.m`, `{prefix}.v` (copies). */
  exportState(prefix: string): TowerState {
    const o = this.opt.exportState();
    return { arrays: { [prefix]: this.W.slice(), [`${prefix}.m`]: o.m, [`${prefix}.v`]: o.v }, steps: { [prefix]: o.t } };
  }

  /** Restores exportState(prefix)'s arrays; `tower` names the owner in errors. */
  importState(s: TowerState, prefix: string, tower: string): void {
    const n = this.W.length;
    this.W.set(stateArray(s, prefix, Float64Array, n, tower));
    this.opt.importState({ t: stateStep(s, prefix, tower), m: stateArray(s, `${prefix}.m`, Float64Array, n, tower), v: stateArray(s, `${prefix}.v`, Float64Array, n, tower) });
    this.grad.fill(0);
  }
}

/** out = y / max(||y||, 1e-12) per row (what the glove-100 graph does); returns out and the norms. */
export function l2NormalizeRows(y: Float64Array, B: number, d: number): { out: Float64Array; norms: Float64Array } {
  const out = new Float64Array(B * d);
  const norms = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += y[b * d + t] ** 2;
    const n = Math.max(Math.sqrt(s), 1e-12);
    norms[b] = n;
    for (let t = 0; t < d; t++) out[b * d + t] = y[b * d + t] / n;
  }
  return { out, norms };
}

/** Backward of l2NormalizeRows: dy = (g - out (out . g)) / ||y|| (zero rows pass no gradient). */
export function l2NormalizeRowsBackward(out: Float64Array, norms: Float64Array, g: Float64Array, B: number, d: number): Float64Array {
  const dy = new Float64Array(B * d);
  for (let b = 0; b < B; b++) {
    if (norms[b] <= 1e-12) continue;
    let dot = 0;
    for (let t = 0; t < d; t++) dot += out[b * d + t] * g[b * d + t];
    for (let t = 0; t < d; t++) dy[b * d + t] = (g[b * d + t] - out[b * d + t] * dot) / norms[b];
  }
  return dy;
}

export function toMatrix32(x: Float64Array, B: number, d: number): { rows: number; dim: number; data: Float32Array } {
  return { rows: B, dim: d, data: Float32Array.from(x) };
}
