import { describe, expect, it } from 'vitest';
import { createRng } from '@libvq/index-core/util';
import { BertModel } from '../../src/transformer/bert-model.js';
import { bertFromWordVectors } from '../../src/transformer/from-word-vectors.js';

describe('bertFromWordVectors', () => {
  it('starts as the normalised mean of the LayerNorm-ed word vectors (float64 oracle), and its zero projections get gradients', () => {
    const rng = createRng(4);
    const V = 30, d = 12;
    const table = { rows: V, dim: d, data: Float32Array.from({ length: V * d }, () => rng.next() - 0.3) };
    const { config, weights } = bertFromWordVectors(table, { layers: 2, heads: 3, maxPositions: 16 });
    const model = new BertModel(config, weights);
    const rows = [[3, 7, 7, 21], [5, 9]];
    const L = 4;
    const batch = { batchSize: 2, seqLength: L, inputIds: Int32Array.from([3, 7, 7, 21, 5, 9, 0, 0]), attentionMask: Uint8Array.from([1, 1, 1, 1, 1, 1, 0, 0]) };
    const out = model.forward(batch);
    rows.forEach((r, b) => {
      const mean = new Float64Array(d);
      for (const id of r) {
        const e = Array.from(table.data.subarray(id * d, (id + 1) * d));
        const mu = e.reduce((a, x) => a + x, 0) / d;
        const sd = Math.sqrt(e.reduce((a, x) => a + (x - mu) ** 2, 0) / d + 1e-12);
        e.forEach((x, j) => (mean[j] += (x - mu) / sd));
      }
      const norm = Math.hypot(...mean);
      for (let j = 0; j < d; j++) expect(out[b * d + j]).toBeCloseTo(mean[j] / norm, 5);
    });
    model.backward(Float64Array.from({ length: 2 * d }, (_, i) => Math.sin(i)));
    const g = model.grads['encoder.layer.1.output.dense.weight'];
    expect(g.some((v) => v !== 0)).toBe(true);
    expect(L).toBe(batch.seqLength);
  });
});
