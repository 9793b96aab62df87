import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinFields } from '@libvq/dataset/tokens';
import { preprocessData, readEmbeddings, readVectors } from '@libvq/dataset';
import { LibvqError, type Matrix } from '@libvq/index-core';
import { BaseEncoder, Encoder, OnnxEncoder, encodeTexts, inference, loadTokenizer, type HfTokenizer, type TokenBatch } from '../src/index.js';
import { embeddingsPath } from '../src/model.js';
import { writeModelDir } from './helpers/model-dir.js';
import { VOCAB, tinyBertGraph, tinyBertWeights, wordPieceTokenizerJson } from './helpers/tiny-bert.js';

const DOCS = [
  ['d1', 'The wing', 'supersonic flow over the body'],
  ['d2', 'Shockwaves at Mach 2!', 'heat and pressure'],
  ['d3', '', 'the boundary layer of the wing at supersonic speed and the shock wave in the flow of air'],
  ['d4', 'air', ''],
  ['d5', 'wing body', 'mach'],
];
const QUERIES = [
  ['q1', 'supersonic wing'],
  ['q2', 'heat transfer in the boundary layer at mach 2'],
];

let raw: string;
let pre: string;
let modelDir: string;
let tokenizer: HfTokenizer;
const tmp: string[] = [];

beforeAll(async () => {
  raw = await mkdtemp(join(tmpdir(), 'libvq-raw-'));
  pre = await mkdtemp(join(tmpdir(), 'libvq-pre-'));
  tmp.push(raw, pre);
  await writeFile(join(raw, 'collection.tsv'), DOCS.map((r) => r.join('\t')).join('\n') + '\n');
  await writeFile(join(raw, 'dev-queries.tsv'), QUERIES.map((r) => r.join('\t')).join('\n') + '\n');
  modelDir = await writeModelDir(tinyBertGraph(tinyBertWeights(7, VOCAB.length)), wordPieceTokenizerJson(), { hidden_size: 32, max_position_embeddings: 64 });
  tmp.push(modelDir);
  tokenizer = await loadTokenizer(modelDir);
  // d2 and d3 are longer than 12 tokens: preprocessing cuts their middle and keeps [CLS] and [SEP].
  await preprocessData({ dataDir: raw, outputDir: pre, tokenizer, maxDocLength: 12, maxQueryLength: 16 });
});
afterAll(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

function close(a: Float32Array, b: Float32Array, tol: number): void {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  expect(m).toBeLessThan(tol);
}

describe('inference over preprocessed token files', () => {
  it('writes {prefix}.embeddings.arrow equal to encoding the raw texts directly', async () => {
    const enc = await OnnxEncoder.fromPretrained(modelDir, { pooling: 'mean', normalize: true });
    const out = join(pre, 'emb');
    const progress: Array<[number, number]> = [];
    const r = await inference({ dataDir: pre, prefix: 'docs', encoder: enc, outputDir: out, batchSize: 2, returnVecs: true, onProgress: (d, t) => progress.push([d, t]) });
    expect(r.path).toBe(embeddingsPath(out, 'docs'));
    expect([r.rows, r.dim, r.truncated]).toEqual([5, 32, 0]);
    expect(progress.at(-1)).toEqual([5, 5]);
    // The oracle path: join the fields, tokenize with truncation, batch in file order.
    const direct = await encodeTexts({ encoder: enc, tokenizer, texts: DOCS.map((d) => joinFields(d.slice(1), tokenizer.separator)), maxLength: 12, batchSize: 5 });
    close(r.vectors!.data, direct.data, 1e-5);
    const file = await readEmbeddings(r.path);
    expect(Array.from(file.ids as readonly string[])).toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
    expect(Array.from(file.matrix.data)).toEqual(Array.from(r.vectors!.data));
    expect(file.metadata).toEqual({ encoder: enc.name, pooling: 'mean', normalized: true });
    // Any reader of the vector formats takes the file (readVectors picks the format by extension).
    expect((await readVectors(r.path)).matrix.dim).toBe(32);
    await enc.dispose();
  });

  it('truncates to a smaller maxLength keeping [CLS] ... [SEP], and counts the rows cut', async () => {
    const enc = await OnnxEncoder.fromPretrained(modelDir, { pooling: 'cls' });
    const r = await inference({ dataDir: pre, prefix: 'docs', encoder: enc, outputDir: join(pre, 'short'), maxLength: 5, returnVecs: true });
    const direct = await encodeTexts({ encoder: enc, tokenizer, texts: DOCS.map((d) => joinFields(d.slice(1), tokenizer.separator)), maxLength: 5 });
    // d1, d2, d3 (12 tokens after preprocessing) and d5 (6) are longer than 5; d4 ([CLS] air [SEP] [SEP]) is not.
    expect(r.truncated).toBe(4);
    close(r.vectors!.data, direct.data, 1e-5);
    await enc.dispose();
  });

  it('routes queries to the query tower and documents to the doc tower (a BaseEncoder subclass)', async () => {
    /** A tower that is not an ONNX model: embeds a batch as [token count, sum of ids] (scaled by `scale`). */
    class CountingEncoder extends BaseEncoder {
      readonly dim = 2;
      calls = { query: 0, doc: 0 };
      private emb(batch: TokenBatch, scale: number): Matrix {
        const out = new Float32Array(batch.batchSize * 2);
        for (let b = 0; b < batch.batchSize; b++) {
          for (let t = 0; t < batch.seqLength; t++) {
            if (!batch.attentionMask[b * batch.seqLength + t]) continue;
            out[b * 2] += scale;
            out[b * 2 + 1] += scale * batch.inputIds[b * batch.seqLength + t];
          }
        }
        return { rows: batch.batchSize, dim: 2, data: out };
      }
      async queryEmb(batch: TokenBatch): Promise<Matrix> {
        this.calls.query++;
        return this.emb(batch, -1);
      }
      async docEmb(batch: TokenBatch): Promise<Matrix> {
        this.calls.doc++;
        return this.emb(batch, 1);
      }
    }
    const enc = new CountingEncoder();
    const q = await inference({ dataDir: pre, prefix: 'dev-queries', encoder: enc, outputDir: join(pre, 'count'), returnVecs: true, isSpecial: (id) => tokenizer.isSpecial(id) });
    const qIds = QUERIES.map(([, t]) => tokenizer.encode(t, 16));
    expect(Array.from(q.vectors!.data)).toEqual(qIds.flatMap((ids) => [-ids.length, -ids.reduce((a, b) => a + b, 0)]));
    expect(enc.calls).toEqual({ query: 1, doc: 0 });
    const d = await inference({ dataDir: pre, prefix: 'docs', encoder: enc, outputDir: join(pre, 'count'), isQuery: true, returnVecs: true });
    expect(d.vectors!.data[0]).toBeLessThan(0); // isQuery forced the query tower
    const file = await readEmbeddings(embeddingsPath(join(pre, 'count'), 'dev-queries'));
    expect(file.metadata).toEqual({ encoder: 'CountingEncoder', pooling: 'unknown', normalized: false });
    // A custom encoder without a tokenizer cannot truncate without being told which ids are special.
    await expect(inference({ dataDir: pre, prefix: 'docs', encoder: enc, outputDir: join(pre, 'count'), maxLength: 4 })).rejects.toThrow(/docs row 0 has 12 tokens, more than maxLength 4.*pass isSpecial/);
  });

  it('Encoder(query, doc) with two different towers', async () => {
    const qTower = await OnnxEncoder.fromPretrained(modelDir, { pooling: 'cls' });
    const dTower = await OnnxEncoder.fromPretrained(modelDir, { pooling: 'mean' });
    const enc = new Encoder(qTower, dTower);
    expect(enc.describe()).toBe(`query=${qTower.name};doc=${dTower.name}`);
    const q = await inference({ dataDir: pre, prefix: 'dev-queries', encoder: enc, outputDir: join(pre, 'two'), returnVecs: true, isSpecial: (id) => tokenizer.isSpecial(id) });
    const direct = await encodeTexts({ encoder: qTower, tokenizer, texts: QUERIES.map((x) => x[1]), maxLength: 16 });
    close(q.vectors!.data, direct.data, 1e-5);
    await enc.dispose();
  });

  it('names the missing prefix file and refuses bad options', async () => {
    const enc = await OnnxEncoder.fromPretrained(modelDir);
    const err = await inference({ dataDir: pre, prefix: 'test-queries', encoder: enc, outputDir: pre }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvqError);
    expect((err as Error).message).toMatch(/test-queries\.ids\.arrow/);
    await expect(inference({ dataDir: pre, prefix: 'docs', encoder: enc, outputDir: pre, batchSize: 0 })).rejects.toThrow(/batchSize: expected a positive integer, got 0/);
    await enc.dispose();
  });
});
