import { describe, expect, it } from 'vitest';
import { padBatch } from '@libvq/encoder';
import type { Tower } from '@libvq/encoder';
import type { Matrix } from '@libvq/index-core';
import { EmbeddingBagTower, HeadTower } from '../src/index.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
}

/** loss = sum(c * out): its gradient with respect to out is c. */
function lossOf(out: Matrix, c: Float64Array): number {
  let s = 0;
  for (let i = 0; i < c.length; i++) s += c[i] * out.data[i];
  return s;
}

describe('EmbeddingBagTower', () => {
  const V = 12;
  const d = 5;
  const rnd = lcg(3);
  // row 0 [PAD], row 1 [UNK]; ids 1 and the padding must weigh 0, token 4 appears twice in row 0
  const batch = padBatch([[4, 7, 1, 4], [2, 9], [1], [3, 3, 11]], 0);
  const c = Float64Array.from({ length: 4 * d }, rnd);

  for (const head of [false, true]) {
    it(`backward matches central finite differences in float64 (head ${head})`, () => {
      const table = Float64Array.from({ length: V * d }, rnd);
      const t = new EmbeddingBagTower(table, d, { head });
      if (t.head) for (let i = 0; i < t.head.W.length; i++) t.head.W[i] += 0.3 * rnd();
      const out = t.forward(batch);
      t.backward(c);
      const g = t.tableGrad();
      const h = 1e-6;
      // float32 output: evaluate the loss in float64 by recomputing through the forward path with float64 params
      const f = () => {
        const o = t.forward(batch);
        return lossOf(o, c);
      };
      // use a float64 reference of the forward to avoid float32 rounding in the finite differences
      const ref = (tab: Float64Array, W: Float64Array | null): number => {
        let s = 0;
        const L = batch.seqLength;
        for (let b = 0; b < batch.batchSize; b++) {
          const m = new Float64Array(d);
          let n = 0;
          for (let k = 0; k < L; k++) {
            const id = batch.inputIds[b * L + k];
            if (!batch.attentionMask[b * L + k] || id === 1) continue;
            n++;
            for (let j = 0; j < d; j++) m[j] += tab[id * d + j];
          }
          for (let j = 0; j < d; j++) m[j] /= Math.max(n, 1);
          const y = W ? Float64Array.from({ length: d }, (_, i) => { let z = 0; for (let j = 0; j < d; j++) z += W[i * d + j] * m[j]; return z; }) : m;
          const nr = Math.max(Math.hypot(...y), 1e-12);
          for (let j = 0; j < d; j++) s += c[b * d + j] * (y[j] / nr);
        }
        return s;
      };
      const W = t.head ? t.head.W : null;
      expect(lossOf(out, c)).toBeCloseTo(ref(table, W), 5);
      expect(f()).toBeCloseTo(ref(table, W), 5);
      for (let i = 0; i < table.length; i++) {
        const x = table[i];
        table[i] = x + h;
        const up = ref(table, W);
        table[i] = x - h;
        const dn = ref(table, W);
        table[i] = x;
        expect(g[i]).toBeCloseTo((up - dn) / (2 * h), 6);
      }
      // rows the batch never touches (and PAD / UNK) get no gradient at all
      for (const r of [0, 1, 5, 6, 8, 10]) for (let j = 0; j < d; j++) expect(g[r * d + j]).toBe(0);
      if (W) {
        for (let i = 0; i < W.length; i++) {
          const x = W[i];
          W[i] = x + h;
          const up = ref(table, W);
          W[i] = x - h;
          const dn = ref(table, W);
          W[i] = x;
          expect(t.head!.grad[i]).toBeCloseTo((up - dn) / (2 * h), 6);
        }
      }
    });
  }

  it('step moves only the touched rows and lowers the loss', () => {
    const table = Float64Array.from({ length: V * d }, rnd);
    const before = Float64Array.from(table);
    const t = new EmbeddingBagTower(table, d, { lrEmbeddings: 1e-2 });
    const l0 = lossOf(t.forward(batch), c);
    t.backward(c);
    t.step();
    for (const r of [0, 1, 5, 6, 8, 10]) for (let j = 0; j < d; j++) expect(table[r * d + j]).toBe(before[r * d + j]);
    expect(lossOf(t.forward(batch), c)).toBeLessThan(l0); // descending c . out
  });
});

describe('HeadTower', () => {
  const d = 4;
  const rnd = lcg(9);
  const frozen = Float32Array.from({ length: 3 * d }, rnd);
  const base: Tower = { dim: d, embed: async () => ({ rows: 3, dim: d, data: frozen }), normalized: () => true };
  const batch = padBatch([[2], [3], [4]], 0);
  it('head gradient matches finite differences; the frozen tower is untouched', async () => {
    const t = new HeadTower(base);
    for (let i = 0; i < t.head.W.length; i++) t.head.W[i] += 0.2 * rnd();
    const c = Float64Array.from({ length: 3 * d }, rnd);
    await t.forward(batch);
    t.backward(c);
    const W = t.head.W;
    const ref = (): number => {
      let s = 0;
      for (let b = 0; b < 3; b++) {
        const y = Array.from({ length: d }, (_, i) => { let z = 0; for (let j = 0; j < d; j++) z += W[i * d + j] * frozen[b * d + j]; return z; });
        const n = Math.hypot(...y);
        for (let j = 0; j < d; j++) s += c[b * d + j] * (y[j] / n);
      }
      return s;
    };
    const h = 1e-6;
    for (let i = 0; i < W.length; i++) {
      const x = W[i];
      W[i] = x + h;
      const up = ref();
      W[i] = x - h;
      const dn = ref();
      W[i] = x;
      expect(t.head.grad[i]).toBeCloseTo((up - dn) / (2 * h), 6);
    }
    const copy = Float32Array.from(frozen);
    t.step();
    expect(frozen).toEqual(copy);
  });
});
