import { describe, expect, it } from 'vitest';
import { AdamW, RotationOptimizer, cayleyRetract, gatherGradRows, linearWarmupDecay, orthogonalityError, sgdStepRows, solveInPlace } from '../src/optim/index.js';

describe('linearWarmupDecay', () => {
  it('ramps over the first 10% of steps then decays linearly, never zero', () => {
    const f = Array.from({ length: 20 }, (_, s) => linearWarmupDecay(s, 20));
    expect(f.slice(0, 3)).toEqual([0.5, 1, 1]); // W = 2: 1/2, 2/2, then (20-2)/(18)
    expect(f[19]).toBeCloseTo(1 / 18, 15);
    expect(f[10]).toBeCloseTo(10 / 18, 15);
    for (let s = 3; s < 20; s++) expect(f[s]).toBeLessThan(f[s - 1]);
    expect(linearWarmupDecay(0, 5)).toBe(1); // W = floor(0.5) = 0: no warm-up
    expect(() => linearWarmupDecay(20, 20)).toThrow(/step/);
  });
});

describe('AdamW', () => {
  // Hand-computed (40-digit decimal arithmetic): p0 = 1, g = 0.5 then -1, lr 0.1, b1 0.9, b2 0.999, eps 1e-8, wd 0.01.
  //   step 1: p = 1*(1 - 0.001) - 0.1 * 0.5 / (0.5 + 1e-8)                          = 0.89900000199999996
  //   step 2: m = -0.055, v = 0.00124975; p = 0.899000002*0.999 - 0.1*(-0.055/0.19)/(sqrt(0.00124975/0.001999)+1e-8)
  //                                                                                  = 0.93471135423856560
  it('matches a hand-computed two-step example', () => {
    const p = new Float64Array([1]);
    const opt = new AdamW(p, 1, { lr: 0.1, weightDecay: 0.01 });
    opt.step(new Float64Array([0.5]));
    expect(p[0]).toBeCloseTo(0.89900000199999996, 15);
    opt.step(new Float64Array([-1]));
    expect(p[0]).toBeCloseTo(0.9347113542385656, 15);
    expect(opt.m[0]).toBeCloseTo(-0.055, 15);
    expect(opt.v[0]).toBeCloseTo(0.00124975, 15);
  });
  it('scales the rate by the schedule factor', () => {
    const p = new Float64Array([1]);
    const opt = new AdamW(p, 1, { lr: 0.1, weightDecay: 0.01 });
    opt.step(new Float64Array([0.5]), 1);
    opt.step(new Float64Array([-1]), 0.5);
    expect(p[0]).toBeCloseTo(0.9168556781192828, 15);
  });
  it('sparse rows: only touched rows and their moments move; the result equals a dense step on those rows', () => {
    const init = Float32Array.from({ length: 12 }, (_, i) => (i - 6) / 5);
    const sparse = Float32Array.from(init);
    const dense = Float32Array.from(init);
    const a = new AdamW(sparse, 3, { lr: 0.01, weightDecay: 0.1, stateDtype: 'float32' });
    const b = new AdamW(dense, 3, { lr: 0.01, weightDecay: 0.1, stateDtype: 'float32' });
    const rows = Int32Array.from([2, 0]);
    const g = Float64Array.from([0.3, -0.2, 0.1, 1, 2, 3]);
    a.stepRows(rows, g);
    // the dense twin sees the same gradient on rows 2 and 0, and no decay on the others is emulated by checking them apart
    const full = new Float64Array(12);
    full.set(g.subarray(0, 3), 6);
    full.set(g.subarray(3, 6), 0);
    b.step(full);
    for (const r of [0, 2]) for (let k = 0; k < 3; k++) expect(sparse[r * 3 + k]).toBe(dense[r * 3 + k]);
    for (const r of [1, 3]) {
      for (let k = 0; k < 3; k++) {
        expect(sparse[r * 3 + k]).toBe(init[r * 3 + k]); // untouched, not even decayed
        expect(a.m[r * 3 + k]).toBe(0);
      }
    }
    expect(() => a.stepRows(Int32Array.from([1, 1]), new Float64Array(6))).toThrow(/distinct/);
    expect(() => a.stepRows(Int32Array.from([4]), new Float64Array(3))).toThrow(/rows\[0\]/);
    expect(() => a.step(new Float64Array(12).fill(NaN))).toThrow(/NaN/);
  });
});

describe('sgdStepRows', () => {
  it('moves only the touched rows by -lr * g', () => {
    const p = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const full = Float64Array.from([0, 0, 10, 20, 0, 0]);
    const rows = Int32Array.from([1]);
    sgdStepRows(p, 2, rows, gatherGradRows(full, 2, rows), 0.1);
    expect(Array.from(p)).toEqual([1, 2, Math.fround(3 - 1), Math.fround(4 - 2), 5, 6]);
  });
});

function randomOrthogonal(d: number, seed: number): Float64Array {
  // Gram-Schmidt of a pseudo-random matrix (test helper, independent of the code under test)
  let s = seed;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
  const Q = Float64Array.from({ length: d * d }, rnd);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += Q[i * d + k] * Q[j * d + k];
      for (let k = 0; k < d; k++) Q[i * d + k] -= dot * Q[j * d + k];
    }
    let nrm = 0;
    for (let k = 0; k < d; k++) nrm += Q[i * d + k] ** 2;
    for (let k = 0; k < d; k++) Q[i * d + k] /= Math.sqrt(nrm);
  }
  return Q;
}

/** max |R^T R - I| (columns), the criterion for a square rotation. */
function colOrthError(R: ArrayLike<number>, d: number): number {
  let w = 0;
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < d; b++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += R[k * d + a] * R[k * d + b];
      w = Math.max(w, Math.abs(s - (a === b ? 1 : 0)));
    }
  }
  return w;
}

describe('Cayley retraction', () => {
  it('solveInPlace solves a pivoting-needing system', () => {
    const P = Float64Array.from([0, 2, 1, 1, 1, 0, 3, 0, 1]);
    const x = [1, -2, 0.5];
    const rhs = Float64Array.from([2 * -2 + 0.5, 1 - 2, 3 + 0.5]);
    solveInPlace(P, rhs, 3, 1);
    for (let i = 0; i < 3; i++) expect(rhs[i]).toBeCloseTo(x[i], 12);
  });

  // Quadratic: L(R) = ||R X - Y||_F^2 with Y = T X for an orthogonal target T; gradient 2 (R X - Y) X^T.
  const d = 10;
  const p = 30;
  const T = randomOrthogonal(d, 7);
  const X = Float64Array.from({ length: d * p }, (_, i) => Math.sin(i * 1.7 + 0.3));
  const Y = new Float64Array(d * p);
  for (let a = 0; a < d; a++) for (let c = 0; c < p; c++) for (let k = 0; k < d; k++) Y[a * p + c] += T[a * d + k] * X[k * p + c];
  const lossGrad = (R: Float64Array): { L: number; G: Float64Array } => {
    const E = new Float64Array(d * p);
    let L = 0;
    for (let a = 0; a < d; a++) {
      for (let c = 0; c < p; c++) {
        let s = -Y[a * p + c];
        for (let k = 0; k < d; k++) s += R[a * d + k] * X[k * p + c];
        E[a * p + c] = s;
        L += s * s;
      }
    }
    const G = new Float64Array(d * d);
    for (let a = 0; a < d; a++) for (let k = 0; k < d; k++) for (let c = 0; c < p; c++) G[a * d + k] += 2 * E[a * p + c] * X[k * p + c];
    return { L, G };
  };

  it('a small step along the gradient decreases the loss at the first-order rate and keeps R orthogonal', () => {
    const R = randomOrthogonal(d, 3);
    const { L, G } = lossGrad(R);
    // predicted first-order decrease: <G, A X> * lr = lr * ||A||_F^2 / 2 with A = G^T R - R^T G
    let normA = 0;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        let s = 0;
        for (let r = 0; r < d; r++) s += G[r * d + a] * R[r * d + b] - R[r * d + a] * G[r * d + b];
        normA += s * s;
      }
    }
    const lr = 1e-6;
    const R1 = Float64Array.from(R);
    cayleyRetract(R1, d, d, G, lr);
    const L1 = lossGrad(R1).L;
    expect(L1).toBeLessThan(L);
    expect((L - L1) / (lr * normA / 2)).toBeCloseTo(1, 3);
    expect(colOrthError(R1, d)).toBeLessThan(1e-12);
  });

  it('RotationOptimizer converges to the Procrustes target and stays orthogonal after many steps', () => {
    const opt = new RotationOptimizer(Float32Array.from(randomOrthogonal(d, 11)), d, d, { lr: 0.02 });
    const first = lossGrad(opt.R).L;
    for (let i = 0; i < 2000; i++) opt.step(lossGrad(opt.R).G);
    expect(lossGrad(opt.R).L).toBeLessThan(first * 1e-3);
    expect(colOrthError(opt.R, d)).toBeLessThan(1e-10);
    const f32 = new Float32Array(d * d);
    opt.writeTo(f32);
    expect(colOrthError(f32, d)).toBeLessThan(1e-5);
    expect(orthogonalityError(f32, d, d)).toBeLessThan(1e-5);
  });

  it('keeps rectangular (dOut < dIn) rotations row-orthonormal', () => {
    const Q = randomOrthogonal(8, 5);
    const R = Float64Array.from(Q.subarray(0, 5 * 8));
    const G = Float64Array.from({ length: 40 }, (_, i) => Math.cos(i));
    for (let i = 0; i < 100; i++) cayleyRetract(R, 5, 8, G, 0.05);
    expect(orthogonalityError(R, 5, 8)).toBeLessThan(1e-12);
  });

  it('rejects a non-orthogonal initial rotation', () => {
    expect(() => new RotationOptimizer(new Float32Array(16).fill(0.5), 4, 4, { lr: 0.1 })).toThrow(/orthonormal/);
  });
});
