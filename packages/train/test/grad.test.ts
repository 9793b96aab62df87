import { describe, expect, it } from 'vitest';
import { matrix } from '@libvq/index-core';
import { backwardBatch, forwardBatch, totalLoss } from '../src/grad/index.js';
import type { QuantParams, TrainBatch } from '../src/grad/index.js';
import { finiteDiff, freeze, layout, refLoss, type RefConfig } from './reference.js';

/** Small deterministic generator (tests only): float32-representable values so both sides see the same numbers. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const B = 3;
const n = 2;
const N = B + B * n;
const d = 8;
const M = 2;
const ksub = 4;
const nlist = 3;
const dT = 5;

type Method = 'ivf' | 'ivf_pq' | 'ivf_opq' | 'pq' | 'opq' | 'dense_rot';

interface Case {
  method: Method;
  metric: 'ip' | 'l2';
  loss: 'contras' | 'distill';
  fixed: boolean;
  weights: { dense: number; ivf: number; pq: number };
  assignT: number;
  tau: number;
  /** Input dimension of a rotation that reduces (OPQ{M}_{d}: dOut = d < dIn); default d (square). */
  dIn?: number;
}

function build(c: Case, seed: number) {
  const rnd = lcg(seed);
  const gauss = (scale: number) => Math.fround((rnd() + rnd() + rnd() - 1.5) * scale);
  const hasRot = c.method === 'ivf_opq' || c.method === 'opq' || c.method === 'dense_rot';
  const hasIvf = c.method.startsWith('ivf');
  const hasPq = c.method.includes('pq');
  const dIn = c.dIn ?? d;
  if (dIn !== d && !hasRot) throw new Error('a dimension change needs a rotation');
  const cfg: RefConfig = {
    metric: c.metric, loss: c.loss, tau: c.tau, assignT: c.assignT, B, N, dIn, dOut: d, hasRot,
    nlist: hasIvf ? nlist : 0, M: hasPq ? M : 0, ksub,
    positives: [2, 0, 1], // not the default layout, to check positives are honoured
    lists: Array.from({ length: N }, (_, j) => j % nlist),
    teacherQ: Float64Array.from({ length: B * dT }, () => gauss(1)),
    teacherD: Float64Array.from({ length: N * dT }, () => gauss(1)),
    dT,
    weights: c.weights,
    fixedCodes: null,
  };
  const L = layout(cfg);
  const th = new Float64Array(L.size);
  for (let i = 0; i < L.size; i++) th[i] = gauss(0.8);
  if (hasRot) {
    // near-identity, not orthogonal: the Euclidean gradient is checked, orthogonality is the optimiser's job
    for (let a = 0; a < d; a++) th[L.r + a * dIn + a] = Math.fround(1 + gauss(0.1));
  }
  if (c.fixed && hasPq) cfg.fixedCodes = Array.from({ length: N * M }, () => Math.floor(rnd() * ksub));
  const f32 = (o: number, len: number) => Float32Array.from(th.subarray(o, o + len));
  const params: QuantParams = {
    metric: c.metric,
    rotation: hasRot ? { dOut: d, dIn, data: f32(L.r, d * dIn) } : undefined,
    centroids: hasIvf ? { nlist, dim: d, data: f32(L.c, nlist * d) } : undefined,
    codebooks: hasPq ? { M, ksub, dsub: d / M, data: f32(L.cb, M * ksub * (d / M)) } : undefined,
  };
  const batch: TrainBatch = {
    queries: matrix(B, dIn, f32(L.q, B * dIn)),
    docs: matrix(N, dIn, f32(L.d, N * dIn)),
    positives: Int32Array.from(cfg.positives),
    teacherQueries: matrix(B, dT, Float32Array.from(cfg.teacherQ)),
    teacherDocs: matrix(N, dT, Float32Array.from(cfg.teacherD)),
    docLists: hasIvf ? Int32Array.from(cfg.lists) : undefined,
    docCodes: cfg.fixedCodes ? Uint8Array.from(cfg.fixedCodes) : undefined,
  };
  return { cfg, L, th, params, batch, hasRot, hasIvf, hasPq };
}

function expectClose(got: Float64Array | undefined, want: Float64Array, what: string): void {
  expect(got, what).toBeDefined();
  expect(got!.length, what).toBe(want.length);
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got![i] - want[i]);
    if (err > 1e-7 + 1e-6 * scale) throw new Error(`${what}[${i}]: analytic ${got![i]}, finite difference ${want[i]} (|max| ${scale})`);
  }
}

function check(c: Case, seed: number): void {
  const { cfg, L, th, params, batch, hasRot, hasIvf, hasPq } = build(c, seed);
  const frozen = hasPq && !cfg.fixedCodes ? freeze(th, cfg) : null;
  const fwd = forwardBatch(params, batch, { loss: c.loss, temperature: c.tau, assignTemperature: c.assignT });
  // forward agrees with the reference (hard quantization = surrogate value at theta0)
  const ref = refLoss(th, cfg, frozen);
  expect(fwd.losses.dense).toBeCloseTo(ref.dense, 10);
  if (hasIvf) expect(fwd.losses.ivf).toBeCloseTo(ref.ivf, 10);
  if (hasPq) expect(fwd.losses.pq).toBeCloseTo(ref.pq, 10);
  expect(totalLoss(fwd, c.weights)).toBeCloseTo(ref.total, 10);
  if (frozen) expect(Array.from(fwd.codes!)).toEqual(frozen.hard);

  const g = backwardBatch(fwd, c.weights, { queries: true, docs: true, centroids: true, codebooks: true, rotation: true });
  const fd = finiteDiff(th, cfg, frozen);
  const tag = JSON.stringify(c);
  expectClose(g.queries, fd.subarray(L.q, L.d), `${tag} queries`);
  expectClose(g.docs, fd.subarray(L.d, L.c), `${tag} docs`);
  if (hasIvf) {
    expectClose(g.centroids, fd.subarray(L.c, L.cb), `${tag} centroids`);
    expect(Array.from(g.touchedLists!)).toEqual([0, 1, 2]);
  } else expect(g.centroids).toBeUndefined();
  if (hasPq) expectClose(g.codebooks, fd.subarray(L.cb, L.r), `${tag} codebooks`);
  else expect(g.codebooks).toBeUndefined();
  if (hasRot) expectClose(g.rotation, fd.subarray(L.r, L.size), `${tag} rotation`);
  else expect(g.rotation).toBeUndefined();
}

const methods: Method[] = ['ivf', 'ivf_pq', 'ivf_opq', 'pq', 'opq', 'dense_rot'];
const weightSets = [
  { dense: 1, ivf: 0, pq: 0 },
  { dense: 0, ivf: 1, pq: 0 },
  { dense: 0, ivf: 0, pq: 1 },
  { dense: 0.7, ivf: 1.3, pq: 0.9 },
];

describe('forward/backward against central finite differences of a float64 reference', () => {
  let seed = 1;
  for (const method of methods) {
    for (const metric of ['ip', 'l2'] as const) {
      for (const loss of ['contras', 'distill'] as const) {
        for (const fixed of method.includes('pq') ? [false, true] : [false]) {
          it(`${method} ${metric} ${loss}${fixed ? ' fixed codes' : ' straight-through'}`, () => {
            for (const weights of weightSets) {
              check({ method, metric, loss, fixed, weights, assignT: 1, tau: 1 }, seed++);
            }
          });
        }
      }
    }
  }
  it('a rotation that reduces the dimension (11 -> 8, OPQ2_8): every gradient, both metrics and losses', () => {
    for (const method of ['ivf_opq', 'opq', 'dense_rot'] as const) {
      for (const metric of ['ip', 'l2'] as const) {
        for (const loss of ['contras', 'distill'] as const) {
          check({ method, metric, loss, fixed: false, weights: { dense: 0.7, ivf: 1.3, pq: 0.9 }, assignT: 1, tau: 1, dIn: 11 }, 3000 + seed++);
        }
      }
    }
  });
  it('honours the score temperature and the soft-assignment temperature', () => {
    for (const method of ['ivf_opq', 'opq'] as const) {
      for (const metric of ['ip', 'l2'] as const) {
        check({ method, metric, loss: 'distill', fixed: false, weights: { dense: 0.5, ivf: 1, pq: 1 }, assignT: 0.3, tau: 0.5 }, 1000 + seed++);
        check({ method, metric, loss: 'contras', fixed: false, weights: { dense: 0.5, ivf: 1, pq: 1 }, assignT: 2.5, tau: 2 }, 2000 + seed++);
      }
    }
  });
});

describe('what the index scores give the documents (the document tower trains on it)', () => {
  it('fixed codes and lists: the IVF and PQ scores do not depend on the document, only the dense score does', () => {
    let seed = 500;
    for (const method of ['ivf_pq', 'ivf_opq', 'pq', 'opq', 'ivf'] as const) {
      for (const metric of ['ip', 'l2'] as const) {
        for (const fixed of method.includes('pq') ? [true, false] : [true]) {
          const c: Case = { method, metric, loss: 'distill', fixed, weights: { dense: 0, ivf: 1, pq: 1 }, assignT: 1, tau: 1 };
          const { params, batch } = build(c, seed++);
          const g = backwardBatch(forwardBatch(params, batch, { loss: 'distill' }), c.weights, { docs: true });
          const nonZero = g.docs!.some((x) => x !== 0);
          // straight-through ('nearest'): the codes are chosen from the document, and the soft assignment carries a gradient
          expect(nonZero, `${method} ${metric} ${fixed ? 'fixed' : 'straight-through'}`).toBe(!fixed);
        }
      }
    }
  });
});

describe('forwardBatch validation', () => {
  const base = build({ method: 'ivf_opq', metric: 'ip', loss: 'contras', fixed: false, weights: { dense: 1, ivf: 1, pq: 1 }, assignT: 1, tau: 1 }, 7);
  it('rejects a list id out of range, naming the field', () => {
    const lists = Int32Array.from(base.batch.docLists!);
    lists[4] = nlist;
    expect(() => forwardBatch(base.params, { ...base.batch, docLists: lists }, { loss: 'contras' })).toThrow(/docLists\[4\]/);
  });
  it('requires teacher embeddings for distill', () => {
    expect(() => forwardBatch(base.params, { ...base.batch, teacherDocs: undefined }, { loss: 'distill' })).toThrow(/teacher/);
  });
  it('rejects a non-positive temperature and a dimension mismatch', () => {
    expect(() => forwardBatch(base.params, base.batch, { loss: 'contras', temperature: 0 })).toThrow(/temperature/);
    expect(() => forwardBatch(base.params, { ...base.batch, queries: matrix(B, 6) }, { loss: 'contras' })).toThrow(/batch.queries/);
  });
  it('rejects NaN embeddings', () => {
    const q = Float32Array.from(base.batch.queries.data);
    q[3] = NaN;
    expect(() => forwardBatch(base.params, { ...base.batch, queries: matrix(B, d, q) }, { loss: 'contras' })).toThrow(/row 0, component 3/);
  });
});
