import { describe, expect, it } from 'vitest';
import { createRng } from '@libvq/index-core/util';
import type { TokenBatch } from '@libvq/encoder';
import { BertModel } from '../../src/transformer/bert-model.js';
import { bertTensorSpecs, randomBertWeights, type BertWeights } from '../../src/transformer/bert-weights.js';
import type { BertConfig } from '../../src/transformer/bert-config.js';

// Every weight group's gradient against float64 central differences of a scalar loss L = Σ out ⊙ R.

const BASE: BertConfig = {
  vocabSize: 17, hidden: 8, layers: 2, heads: 2, intermediate: 12, maxPositions: 9, typeVocabSize: 2,
  layerNormEps: 1e-12, pooling: 'mean', normalize: true,
};

function batch(): TokenBatch {
  // Three sequences of 6, 4 and 2 real tokens: padding inside the batch, two segments.
  const L = 6;
  const lens = [6, 4, 2];
  const rng = createRng(7);
  const inputIds = new Int32Array(3 * L);
  const attentionMask = new Uint8Array(3 * L);
  const tokenTypeIds = new Int32Array(3 * L);
  lens.forEach((n, b) => {
    for (let t = 0; t < n; t++) {
      inputIds[b * L + t] = 1 + Math.floor(rng.next() * 16);
      attentionMask[b * L + t] = 1;
      tokenTypeIds[b * L + t] = t >= n / 2 ? 1 : 0;
    }
  });
  return { batchSize: 3, seqLength: L, inputIds, attentionMask, tokenTypeIds };
}

function noisyWeights(c: BertConfig): BertWeights {
  // Not BERT's 0.02 init: larger weights and non-trivial LayerNorm parameters exercise every term.
  const w = randomBertWeights(c, 11, 'float64', 0.5);
  const rng = createRng(12);
  for (const [name, a] of Object.entries(w)) {
    if (a.length === c.hidden || a.length === c.intermediate) for (let i = 0; i < a.length; i++) a[i] += 0.3 * (rng.next() - 0.5) + (name.endsWith('LayerNorm.weight') ? 0 : 0.1);
  }
  return w;
}

function check(c: BertConfig): void {
  const w = noisyWeights(c);
  const m = new BertModel(c, w);
  const full = batch();
  const bt = c.typeVocabSize > 0 ? full : { ...full, tokenTypeIds: undefined };
  const R = new Float64Array(bt.batchSize * c.hidden);
  const rng = createRng(3);
  for (let i = 0; i < R.length; i++) R[i] = rng.next() - 0.5;
  const loss = () => m.embed64(bt).reduce((s, v, i) => s + v * R[i], 0);
  m.forward(bt);
  m.backward(R);
  const eps = 1e-6;
  for (const spec of bertTensorSpecs(c)) {
    const a = w[spec.name];
    const g = m.grads[spec.name];
    // Up to 12 entries per tensor: for embedding tables the rows the batch used (others have gradient 0, checked too).
    const idx = new Set<number>();
    for (let n = 0; n < 12; n++) idx.add(Math.floor(rng.next() * a.length));
    if (spec.name.includes('word_embeddings')) idx.add(bt.inputIds[0] * c.hidden + 3);
    let worst = 0;
    for (const i of idx) {
      const keep = a[i];
      a[i] = keep + eps;
      const up = loss();
      a[i] = keep - eps;
      const down = loss();
      a[i] = keep;
      const fd = (up - down) / (2 * eps);
      worst = Math.max(worst, Math.abs(fd - g[i]) / Math.max(1e-3, Math.abs(fd)));
    }
    expect(worst, spec.name).toBeLessThan(1e-5);
  }
}

describe('BertModel backward = float64 central differences, every weight group', () => {
  it('mean pooling, L2-normalised, two segments, padded batch', () => check(BASE));
  it('CLS pooling, not normalised, no segment table', () => check({ ...BASE, pooling: 'cls', normalize: false, typeVocabSize: 0 }));
});

describe('BertModel input checks', () => {
  it('names a token id, segment id or length the model cannot take', () => {
    const m = new BertModel({ ...BASE, typeVocabSize: 0 }, randomBertWeights({ ...BASE, typeVocabSize: 0 }, 1, 'float64'));
    expect(() => m.forward(batch())).toThrow('tokenTypeIds[0][3]: expected a segment id in [0, 1), got 1');
    const b = batch();
    b.inputIds[4] = 17;
    expect(() => new BertModel(BASE, randomBertWeights(BASE, 1, 'float64')).forward(b)).toThrow('inputIds[0][4]: expected a token id in [0, 17), got 17');
    const long = { batchSize: 1, seqLength: 10, inputIds: new Int32Array(10), attentionMask: new Uint8Array(10).fill(1) };
    expect(() => m.forward(long)).toThrow("batch seqLength: expected at most the model's 9 positions, got 10");
    expect(() => m.backward(new Float64Array(8))).toThrow('no forward pass');
  });
});

describe('BertModel trains chosen layers only', () => {
  it('top layer only: the same gradients there, none elsewhere, lower layers not differentiated', () => {
    const w = noisyWeights(BASE);
    const all = new BertModel(BASE, w);
    const top = new Set(bertTensorSpecs(BASE).filter((s) => s.layer === 1).map((s) => s.name));
    const part = new BertModel(BASE, w, top);
    const bt = batch();
    const R = Float64Array.from({ length: 3 * BASE.hidden }, (_, i) => Math.sin(i));
    all.forward(bt);
    all.backward(R);
    part.forward(bt);
    part.backward(R);
    expect(Object.keys(part.grads).sort()).toEqual([...top].sort());
    for (const n of top) expect(Array.from(part.grads[n])).toEqual(Array.from(all.grads[n]));
  });
});

describe('BertModel on 2 threads', () => {
  it('gives the same bytes as on 1 (outputs and every gradient)', async () => {
    const { closeThreadPool } = await import('@libvq/index-core');
    const c: BertConfig = { ...BASE, vocabSize: 50, hidden: 128, heads: 4, intermediate: 256, maxPositions: 40, layers: 2 };
    const w = randomBertWeights(c, 5, 'float32', 0.1);
    const rng = createRng(9);
    const B = 8, L = 32;
    const inputIds = Int32Array.from({ length: B * L }, () => Math.floor(rng.next() * 50));
    const attentionMask = Uint8Array.from({ length: B * L }, (_, i) => (i % L < 20 + (Math.floor(i / L) % 12) ? 1 : 0));
    const bt = { batchSize: B, seqLength: L, inputIds, attentionMask };
    const R = Float64Array.from({ length: B * c.hidden }, (_, i) => Math.cos(i));
    const run = (threads: number) => {
      const m = new BertModel(c, w, 'all', { threads });
      const out = m.forward(bt);
      m.backward(R);
      return { out, grads: m.grads };
    };
    const one = run(1);
    const two = run(2);
    expect(two.out).toEqual(one.out);
    for (const k of Object.keys(one.grads)) expect(two.grads[k], k).toEqual(one.grads[k]);
    await closeThreadPool();
  });
});
