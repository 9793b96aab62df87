import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { preprocessData, readEmbeddings, readTokens } from '@libvq/dataset';
import { OnnxEncoder, inference, loadTokenizer } from '@libvq/encoder';
import { embeddingsPath } from '@libvq/encoder/model';
import type { Matrix } from '@libvq/index-core';
import { LearnableIndexWithEncoder, TransformerTower, type QueryTokens } from '@libvq/train';
import { loadBertDir } from '@libvq/train/transformer';
import { registerTrain } from '../src/commands/train.js';
import { registerDemo } from '../src/commands/demo.js';
import { runLibvq } from './cli-runner.js';
import { writeTinyCollection } from './tiny-collection.js';

// `libvq train --model DIR --train-layers ...`: a BERT's own weights train with the index. The model is the
// torch-exported 2-layer BERT of @libvq/train's tests (its WordPiece vocabulary spells any word in letters).
const MODEL = fileURLToPath(new URL('../../../packages/train/test/fixtures/torch-bert', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'libvq-cli-train-transformer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = 0;
});
const raw = join(root, 'raw');
const pre = join(root, 'pre');
let docs: Matrix;
let queries: Matrix;

beforeAll(async () => {
  await writeTinyCollection(raw, { docs: 300, queries: 60, seed: 5 });
  const encoder = await OnnxEncoder.fromPretrained(MODEL);
  try {
    await preprocessData({ dataDir: raw, outputDir: pre, tokenizer: await loadTokenizer(MODEL), maxDocLength: 32, maxQueryLength: 16 });
    for (const prefix of ['docs', 'train-queries']) await inference({ dataDir: pre, prefix, encoder, outputDir: pre });
  } finally {
    await encoder.dispose();
  }
  docs = (await readEmbeddings(embeddingsPath(pre, 'docs'))).matrix;
  queries = (await readEmbeddings(embeddingsPath(pre, 'train-queries'))).matrix;
}, 120_000);

function longest(t: QueryTokens): number {
  let m = 1;
  for (let i = 0; i < t.rows; i++) m = Math.max(m, t.offsets[i + 1] - t.offsets[i]);
  return m;
}

const common = ['--data', pre, '--factory', 'PQ4x4', '--epochs', '2', '--batch-size', '16', '--neg', '3', '--scope', 'batch', '--temperature', '0.2', '--lr-codebooks', '0.003', '--seed', '4', '--fix-emb', 'doc', '--model', MODEL];

describe('libvq train --train-layers', () => {
  it('top-1: the checkpoint and OUT/query-encoder equal the library run; onnxruntime serves the trained encoder', async () => {
    const out = join(root, 'top1');
    const r = await runLibvq([registerTrain], ['train', ...common, '--train-layers', 'top-1', '--lr-encoder', '0.001', '-o', out]);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(existsSync(join(out, 'query-tower.safetensors'))).toBe(true);

    const enc = await OnnxEncoder.fromPretrained(MODEL);
    try {
      const queryTokens = await readTokens(pre, 'train-queries');
      const tower = await TransformerTower.fromPretrained(MODEL, { trainLayers: 'top-1', lr: 1e-3 });
      const lie = LearnableIndexWithEncoder.create({ indexMethod: 'pq', subvectorNum: 4, subvectorBits: 4, distMode: 'ip', seed: 4, docEmbeddings: docs, encoder: enc, queryTower: tower });
      await lie.fit({
        relData: null, epochs: 2, batchSize: 16, perQueryNegNum: 3, temperature: 0.2, docScope: 'batch', lr: { codebooks: 0.003, centroids: 1e-3, rotation: 1e-4 }, seed: 4,
        fixEmb: 'doc', queryEmbeddings: queries, docEmbeddings: docs, queryTokens, maxQueryLength: longest(queryTokens),
      });
      const saved = await loadBertDir(join(out, 'query-encoder'));
      expect(saved.verifiedMaxAbs).toBeLessThan(1e-4);
      for (const [name, w] of Object.entries(tower.model.weights)) expect(saved.weights[name], name).toEqual(w);
      const back = LearnableIndexWithEncoder.load(out, { encoder: enc, queryTower: await TransformerTower.fromPretrained(MODEL, { trainLayers: 'top-1' }) });
      expect(Array.from(back.learnable.parts.codebooks!.data)).toEqual(Array.from(lie.learnable.parts.codebooks!.data));
      const q = await lie.encodeTokens(queryTokens, { maxQueryLength: longest(queryTokens) });
      expect(back.searchSync(q, { k: 10 }).labels).toEqual(lie.searchSync(q, { k: 10 }).labels);
      // The exported directory through onnxruntime = the trained tower in TypeScript.
      const served = await OnnxEncoder.fromPretrained(join(out, 'query-encoder'));
      const probe = { rows: 12, offsets: queryTokens.offsets.slice(0, 13), values: queryTokens.values };
      const { embedTokenRows } = await import('@libvq/train');
      const a = await embedTokenRows(served, probe, { maxQueryLength: 16 });
      const b = await embedTokenRows(tower, probe, { maxQueryLength: 16 });
      await served.dispose();
      let worst = 0;
      for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
      expect(worst).toBeLessThan(1e-4);
    } finally {
      await enc.dispose();
    }
  }, 120_000);

  it('names what it cannot train', async () => {
    const r1 = await runLibvq([registerTrain], ['train', ...common, '--train-layers', 'top-5', '-o', join(root, 'x')]);
    expect(r1.err).toContain('trainLayers: expected "all", "embeddings-frozen" or "top-K" with K from 1 to the model\'s 2 layers, got "top-5"');
    const r2 = await runLibvq([registerTrain], ['train', ...common.slice(0, -2), '--model', 'glove-100', '--train-layers', 'all', '-o', join(root, 'y')]);
    expect(r2.err).toContain('--train-layers all: trains a transformer from a model directory; glove-100 is a built-in model');
    const r3 = await runLibvq([registerTrain], ['train', ...common.filter((a) => a !== '--fix-emb' && a !== 'doc'), '--train-layers', 'all', '-o', join(root, 'z')]);
    expect(r3.err).toContain('--train-layers all: a transformer trains as a tower; give --fix-emb doc');
  }, 60_000);

  it('libvq demo --model DIR --train-layers top-1 trains the transformer in its query-encoder rows', async () => {
    const out = join(root, 'demo');
    const r = await runLibvq([registerDemo], ['demo', '--data', raw, '--model', MODEL, '--train-layers', 'top-1', '--lr-encoder', '0.001', '--bytes', '4', '--epochs', '1', '--max-doc-length', '32', '--max-query-length', '16', '--threads', '1', '--out', out]);
    if (r.code !== 0) console.error(r.err.slice(-2000));
    expect(r.code).toBe(0);
    const rows = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).rows as Array<{ method: string; mrr10: number }>;
    const tower = rows.find((x) => x.method.includes('query encoder'));
    expect(tower).toBeDefined();
    expect(Number.isFinite(tower!.mrr10)).toBe(true);
  }, 180_000);
});
