import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { preprocessData, readEmbeddings, readTokens } from '@libvq/dataset';
import { OnnxEncoder, inference, loadTokenizer } from '@libvq/encoder';
import { embeddingsPath } from '@libvq/encoder/model';
import { wordLevelTokenizerJson, writeOnnxModel } from '@libvq/encoder/onnx';
import { bagOfWordsGraph } from '@libvq/glove/model';
import { matrix, type Matrix } from '@libvq/index-core';
import { LearnableIndex, LearnableIndexWithEncoder, type QueryTokens, type RelData } from '@libvq/train';
import { registerTrain } from '../src/commands/train.js';
import { runLibvq } from './cli-runner.js';
import { writeTinyCollection } from './tiny-collection.js';

const root = mkdtempSync(join(tmpdir(), 'libvq-cli-train-towers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = 0;
});
const raw = join(root, 'raw');
const pre = join(root, 'pre');
const modelDir = join(root, 'model');
const d = 16;

const tsv = (f: string) => readFileSync(join(raw, f), 'utf8').split('\n').filter((l) => l).map((l) => l.split('\t'));

/**
 * A bag-of-words ONNX model over the collection's own words (random 16-d vectors; glove-100's graph), so that the
 * towers the CLI trains are the documented ONNX case: a linear head over each frozen tower.
 */
async function writeModel(): Promise<void> {
  const words = [...new Set([...tsv('collection.tsv'), ...tsv('train-queries.tsv'), ...tsv('dev-queries.tsv')].flatMap((r) => r.slice(1).join(' ').toLowerCase().match(/[a-z0-9]+/g) ?? []))];
  let s = 99;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296) - 0.5;
  const table = matrix(words.length + 2, d, Float32Array.from({ length: (words.length + 2) * d }, (_, i) => (i < 2 * d ? 0 : u())));
  mkdirSync(modelDir, { recursive: true });
  writeFileSync(join(modelDir, 'tokenizer.json'), JSON.stringify(wordLevelTokenizerJson({ words })));
  writeFileSync(join(modelDir, 'config.json'), JSON.stringify({ hidden_size: d, libvq: { pooling: 'none', output: 'sentence_embedding', normalized_output: true } }));
  await writeOnnxModel(join(modelDir, 'model.onnx'), bagOfWordsGraph(table, 1, 'tiny_bow'));
}

let docs: Matrix;
let queries: Matrix;
let rels: RelData;

beforeAll(async () => {
  await writeTinyCollection(raw, { docs: 300, queries: 90, seed: 3 });
  await writeModel();
  const encoder = await OnnxEncoder.fromPretrained(modelDir);
  try {
    await preprocessData({ dataDir: raw, outputDir: pre, tokenizer: await loadTokenizer(modelDir), maxDocLength: 64, maxQueryLength: 16 });
    for (const prefix of ['docs', 'train-queries']) await inference({ dataDir: pre, prefix, encoder, outputDir: pre });
  } finally {
    await encoder.dispose();
  }
  docs = (await readEmbeddings(embeddingsPath(pre, 'docs'))).matrix;
  queries = (await readEmbeddings(embeddingsPath(pre, 'train-queries'))).matrix;
  // the judgments, read here from the TSV files independently of the CLI's Arrow reader (in file order: the sampler draws a positive by position)
  const docRow = new Map(tsv('collection.tsv').map((r, i) => [r[0], i]));
  const qRow = new Map(tsv('train-queries.tsv').map((r, i) => [r[0], i]));
  rels = new Map();
  for (const [q, doc, g] of tsv('train-rels.tsv')) {
    if (Number(g) <= 0) continue;
    const list = (rels.get(qRow.get(q)!) ?? []) as number[];
    list.push(docRow.get(doc)!);
    rels.set(qRow.get(q)!, list);
  }
}, 120_000);

function libvq(...args: string[]) {
  return runLibvq([registerTrain], args);
}

const common = ['--data', pre, '--factory', 'OPQ4,PQ4x4', '--epochs', '2', '--batch-size', '16', '--neg', '3', '--scope', 'batch', '--temperature', '0.2', '--lr-codebooks', '0.003', '--seed', '4'];
const libFit = { relData: null as RelData | null, epochs: 2, batchSize: 16, perQueryNegNum: 3, temperature: 0.2, docScope: 'batch' as const, lr: { codebooks: 0.003, centroids: 1e-3, rotation: 1e-4 }, seed: 4 };
const create = { indexMethod: 'opq' as const, subvectorNum: 4, subvectorBits: 4, distMode: 'ip' as const, seed: 4 };

function longest(t: QueryTokens): number {
  let m = 1;
  for (let i = 0; i < t.rows; i++) m = Math.max(m, t.offsets[i + 1] - t.offsets[i]);
  return m;
}

describe('libvq train --labels rels', () => {
  it('contrastive training on the judgments equals the library trained on the same judgments', async () => {
    const out = join(root, 'rels');
    const r = await libvq('train', ...common, '--labels', 'rels', '--loss', 'contras', '-o', out);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const li = LearnableIndex.create({ ...create, docEmbeddings: docs });
    li.fitSync({ ...libFit, queryEmbeddings: queries, docEmbeddings: docs, relData: rels, lossMethod: 'contras' });
    const back = LearnableIndex.load(out);
    expect(Array.from(back.parts.codebooks!.data)).toEqual(Array.from(li.parts.codebooks!.data));
    // and the judgments mattered: virtual labels train other codebooks
    const virt = LearnableIndex.create({ ...create, docEmbeddings: docs });
    virt.fitSync({ ...libFit, queryEmbeddings: queries, docEmbeddings: docs, relData: null, lossMethod: 'contras' });
    expect(Array.from(virt.parts.codebooks!.data)).not.toEqual(Array.from(li.parts.codebooks!.data));
  });
});

describe('libvq train --fix-emb', () => {
  it('none: both towers train with the index (labels rels, distill); the checkpoint equals the library run', async () => {
    const out = join(root, 'both');
    const r = await libvq('train', ...common, '--labels', 'rels', '--loss', 'distill', '--fix-emb', 'none', '--model', modelDir, '-o', out);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/towers trained: query \+ document ->/);
    expect(existsSync(join(out, 'query-tower.safetensors'))).toBe(true);
    expect(existsSync(join(out, 'doc-tower.safetensors'))).toBe(true);

    const enc = await OnnxEncoder.fromPretrained(modelDir);
    try {
      const queryTokens = await readTokens(pre, 'train-queries');
      const docTokens = await readTokens(pre, 'docs');
      const lie = LearnableIndexWithEncoder.create({ ...create, docEmbeddings: docs, encoder: enc });
      const rep = await lie.fit({
        ...libFit, relData: rels, lossMethod: 'distill', fixEmb: '', queryEmbeddings: queries, docEmbeddings: docs,
        queryTokens, maxQueryLength: longest(queryTokens), docTokens, maxDocLength: longest(docTokens),
      });
      const back = LearnableIndexWithEncoder.load(out, { encoder: enc });
      expect(back.queryTower.parameters().head).toEqual(lie.queryTower.parameters().head);
      expect(back.docTower.parameters().head).toEqual(lie.docTower.parameters().head);
      expect(Array.from(back.learnable.parts.codebooks!.data)).toEqual(Array.from(lie.learnable.parts.codebooks!.data));
      // the index holds the documents re-encoded by the trained document tower
      expect((await back.encodeDocTokens(docTokens, { maxDocLength: longest(docTokens) })).data).toEqual(rep.docEmbeddings!.data);
      const q = await back.encodeTokens(queryTokens, { maxQueryLength: longest(queryTokens) });
      expect(back.searchSync(q, { k: 10 }).labels).toEqual(lie.searchSync(q, { k: 10 }).labels);
    } finally {
      await enc.dispose();
    }
  }, 60_000);

  it('doc: per-epoch checkpoints hold the query tower, and --resume continues the run', async () => {
    const ck = join(root, 'ck');
    const r1 = await libvq('train', ...common, '--fix-emb', 'doc', '--model', modelDir, '--epochs', '1', '--checkpoint-dir', ck, '-o', join(root, 'one'));
    expect(r1.code).toBe(0);
    expect(r1.out).toMatch(/towers trained: query ->/);
    expect(Object.keys(JSON.parse(readFileSync(join(ck, 'manifest.json'), 'utf8')).extra.train.towerSteps)).toEqual(['query']);
    const r2 = await libvq('train', ...common, '--fix-emb', 'doc', '--model', modelDir, '--checkpoint-dir', ck, '--resume', '-o', join(root, 'two'));
    expect(r2.err).toContain('resuming after epoch 1');
    expect(r2.code).toBe(0);
    // resuming it as an index-only run is refused: the state holds a tower
    const r3 = await libvq('train', ...common, '--checkpoint-dir', ck, '--resume', '-o', join(root, 'three'));
    expect(r3.code).not.toBe(0);
    expect(r3.err).toContain("--fix-emb: the checkpoint's run used doc, this command gives query, doc");
    // r2 finished both epochs; had it been killed before writing -o, --resume only exports: the same files
    const files = ['index.faiss', 'tensors.safetensors', 'query-tower.safetensors'];
    const four = join(root, 'four');
    const r4 = await libvq('train', ...common, '--fix-emb', 'doc', '--model', modelDir, '--checkpoint-dir', ck, '--resume', '-o', four);
    expect(r4.code).toBe(0);
    expect(r4.err).toContain('has done all its 2 epochs: writing its output');
    expect(files.map((f) => readFileSync(join(four, f)))).toEqual(files.map((f) => readFileSync(join(root, 'two', f))));
  }, 60_000);

  it('refuses a value it does not know, and towers without --data', async () => {
    const r = await libvq('train', ...common, '--fix-emb', 'both', '-o', join(root, 'x'));
    expect(r.err).toContain('--fix-emb: expected one of query,doc (index only), doc, query, none, got "both"');
    const r2 = await libvq('train', '--docs', embeddingsPath(pre, 'docs'), '--queries', embeddingsPath(pre, 'train-queries'), '--factory', 'OPQ4,PQ4x4', '--fix-emb', 'query', '-o', join(root, 'y'));
    expect(r2.code).not.toBe(0);
    expect(r2.err).toContain('--fix-emb query trains a tower: give --data DIR');
  });
});
