import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateRanking, preprocessData, readEmbeddings, readIdMap, readRelsTable, relsPath, relsToOffsets } from '@libvq/dataset';
import { inference } from '@libvq/encoder';
import type { Matrix } from '@libvq/index-core';
import { loadGlove100Encoder } from '../src/index.js';

// The shared data folder sits next to the repository; LIBVQ_CRANFIELD_DIR points elsewhere.
const CRANFIELD = process.env.LIBVQ_CRANFIELD_DIR ?? new URL('../../../apps/cli/data/cranfield', import.meta.url).pathname;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Exact inner-product top-k by brute force in float64 (ties: lower row offset first). */
function exactTopK(q: Matrix, d: Matrix, k: number): Int32Array {
  const labels = new Int32Array(q.rows * k);
  const scores = new Float64Array(d.rows);
  const order = new Int32Array(d.rows);
  for (let i = 0; i < q.rows; i++) {
    for (let j = 0; j < d.rows; j++) {
      let s = 0;
      for (let c = 0; c < q.dim; c++) s += q.data[i * q.dim + c] * d.data[j * d.dim + c];
      scores[j] = s;
      order[j] = j;
    }
    order.sort((a, b) => scores[b] - scores[a] || a - b);
    labels.set(order.subarray(0, k), i * k);
  }
  return labels;
}

describe('Cranfield with glove-100: preprocess, encode, exact search, metrics', () => {
  it('reaches the figures of the Python reference (MRR@10 0.368, R@100 0.470, nDCG@10 0.191, each +-0.02)', async () => {
    const out = await mkdtemp(join(tmpdir(), 'libvq-cranfield-'));
    dirs.push(out);
    const encoder = await loadGlove100Encoder();
    try {
      // Bag of words: no position limit, so nothing is truncated (the reference embeds whole texts).
      const pre = await preprocessData({ dataDir: CRANFIELD, outputDir: out, tokenizer: encoder.tokenizer!, maxDocLength: 4096, maxQueryLength: 4096 });
      expect(pre.prefixes.docs.rows).toBe(1400);
      expect(pre.prefixes['dev-queries'].rows).toBe(75);
      const t0 = performance.now();
      const docs = await inference({ dataDir: out, prefix: 'docs', encoder, outputDir: out, batchSize: 64, returnVecs: true });
      const seconds = (performance.now() - t0) / 1000;
      const queries = await inference({ dataDir: out, prefix: 'dev-queries', encoder, outputDir: out, returnVecs: true });
      console.log(`glove-100 through onnxruntime-node: ${docs.rows} docs in ${seconds.toFixed(3)} s = ${(docs.rows / seconds).toFixed(0)} docs/s`);

      // What was written is what was returned, with the collection's ids and the encoder's metadata.
      const file = await readEmbeddings(docs.path);
      expect(file.matrix.rows).toBe(1400);
      expect(Buffer.from(file.matrix.data.buffer, file.matrix.data.byteOffset, file.matrix.data.byteLength).equals(Buffer.from(docs.vectors!.data.buffer))).toBe(true);
      expect(Array.from((file.ids as readonly string[]).slice(0, 3))).toEqual(['1', '2', '3']);
      expect(file.metadata).toEqual({ encoder: 'glove-100', pooling: 'none', normalized: true });

      const k = 100;
      const labels = exactTopK(queries.vectors!, docs.vectors!, k);
      const rels = relsToOffsets(await readRelsTable(relsPath(out, 'dev')), await readIdMap(out, 'dev-queries'), await readIdMap(out, 'docs'));
      const ev = evaluateRanking({ labels, k }, rels, { mrr: [10], recall: [100], ndcg: [10] });
      console.log(`Cranfield dev (${ev.queries} judged queries), glove-100, exact IP: MRR@10 ${ev.mrr[10].toFixed(4)}, R@100 ${ev.recall[100].toFixed(4)}, nDCG@10 ${ev.ndcg[10].toFixed(4)}`);
      expect(ev.queries).toBe(75);
      expect(Math.abs(ev.mrr[10] - 0.368)).toBeLessThanOrEqual(0.02);
      expect(Math.abs(ev.recall[100] - 0.47)).toBeLessThanOrEqual(0.02);
      expect(Math.abs(ev.ndcg[10] - 0.191)).toBeLessThanOrEqual(0.02);
    } finally {
      await encoder.dispose();
    }
  });
});
