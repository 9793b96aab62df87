import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Encoder, OnnxEncoder, encodeTexts, loadTokenizer, padBatch, type HfTokenizer } from '../src/index.js';
import { writeModelDir } from './helpers/model-dir.js';
import { VOCAB, erf, id, tinyBertGraph, tinyBertReference, tinyBertWeights, wordPieceTokenizerJson } from './helpers/tiny-bert.js';

const weights = tinyBertWeights(20240601, VOCAB.length);
const TEXTS = ['The wing', 'Shockwaves at Mach 2!', 'supersonic boundary layer flow over the body', ''];
// Hand-tokenised with WordPiece's greedy longest-match rules against the test vocabulary.
const EXPECTED = [
  ['[CLS]', 'the', 'wing', '[SEP]'],
  ['[CLS]', 'shock', '##wave', '##s', 'at', 'mach', '[UNK]', '[UNK]', '[SEP]'],
  ['[CLS]', 'supersonic', 'boundary', 'layer', 'flow', 'o', '##v', '##er', 'the', 'body', '[SEP]'],
  ['[CLS]', '[SEP]'],
].map((toks) => toks.map(id));

let dir: string;
let tokenizer: HfTokenizer;

beforeAll(async () => {
  dir = await writeModelDir(tinyBertGraph(weights), wordPieceTokenizerJson(), { model_type: 'bert', hidden_size: 32, max_position_embeddings: 64 }, { nested: true });
  tokenizer = await loadTokenizer(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function pooled(ref: Float64Array, L: number, H: number, mode: 'cls' | 'mean'): Float64Array {
  const out = new Float64Array(H);
  if (mode === 'cls') return ref.slice(0, H);
  for (let t = 0; t < L; t++) for (let j = 0; j < H; j++) out[j] += ref[t * H + j] / L;
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('erf (the reference needs it exact)', () => {
  it('matches tabulated values', () => {
    // Abramowitz & Stegun table 7.1 values.
    expect(erf(0.5)).toBeCloseTo(0.5204998778, 9);
    expect(erf(1)).toBeCloseTo(0.8427007929, 9);
    expect(erf(-2)).toBeCloseTo(-0.995322265, 9);
    expect(erf(3.5)).toBeCloseTo(0.999999257, 9);
  });
});

describe('WordPiece tokenizer through loadTokenizer', () => {
  it('gives the hand-computed ids with [CLS]/[SEP] and finds pad and separator', () => {
    TEXTS.forEach((t, i) => expect(Array.from(tokenizer.encode(t))).toEqual(EXPECTED[i]));
    expect(tokenizer.padId).toBe(id('[PAD]'));
    expect(tokenizer.separator).toBe('[SEP]');
    expect(tokenizer.factory).toMatchObject({ exportName: 'loadTokenizer', args: [dir] });
  });
  it('truncation keeps the first and last special token', () => {
    expect(Array.from(tokenizer.encode(TEXTS[2], 5))).toEqual(['[CLS]', 'supersonic', 'boundary', 'layer', '[SEP]'].map(id));
    expect(Array.from(tokenizer.encode(TEXTS[0], 4))).toEqual(EXPECTED[0]);
    expect(() => tokenizer.encode(TEXTS[2], 1)).toThrow(/maxLength: expected at least 2/);
  });
});

describe('tiny BERT through OnnxEncoder vs a float64 TypeScript forward pass', () => {
  for (const pooling of ['cls', 'mean'] as const) {
    it(`${pooling} pooling over a padded batch matches to 1e-4`, async () => {
      const enc = await OnnxEncoder.fromPretrained(dir, { pooling });
      try {
        expect(enc.dim).toBe(32);
        const batch = padBatch(EXPECTED, tokenizer.padId);
        const got = await enc.docEmb(batch);
        expect(got.rows).toBe(EXPECTED.length);
        EXPECTED.forEach((ids, b) => {
          const ref = pooled(tinyBertReference(weights, ids), ids.length, 32, pooling);
          expect(maxAbsDiff(got.data.subarray(b * 32, (b + 1) * 32), ref)).toBeLessThan(1e-4);
        });
      } finally {
        await enc.dispose();
      }
    });
  }

  it('feeds given token type ids and L2-normalises on request', async () => {
    const enc = await OnnxEncoder.fromPretrained(dir, { pooling: 'mean', normalize: true });
    try {
      const ids = EXPECTED[2];
      const types = ids.map((_, t) => (t >= 5 ? 1 : 0));
      const batch = { ...padBatch([ids], tokenizer.padId), tokenTypeIds: Int32Array.from(types) };
      const got = await enc.embed(batch);
      const ref = pooled(tinyBertReference(weights, ids, types), ids.length, 32, 'mean');
      const norm = Math.hypot(...ref);
      expect(maxAbsDiff(got.data, ref.map((v) => v / norm))).toBeLessThan(1e-4);
      expect(enc.normalized()).toBe(true);
    } finally {
      await enc.dispose();
    }
  });

  it('encodeTexts batches raw texts; Encoder shares one tower for queries and docs', async () => {
    const tower = await OnnxEncoder.fromPretrained(dir, { pooling: 'cls' });
    const enc = new Encoder(tower, tower);
    const all = await encodeTexts({ encoder: enc, tokenizer, texts: TEXTS, batchSize: 4 });
    const progress: number[] = [];
    const split = await encodeTexts({ encoder: enc, tokenizer, texts: TEXTS, batchSize: 3, isQuery: true, onProgress: (d) => progress.push(d) });
    expect(progress).toEqual([3, 4]);
    // Padding to a different batch length must not change any row.
    for (let i = 0; i < all.data.length; i++) expect(Math.abs(all.data[i] - split.data[i])).toBeLessThan(1e-5);
    EXPECTED.forEach((ids, b) => {
      expect(maxAbsDiff(all.data.subarray(b * 32, (b + 1) * 32), pooled(tinyBertReference(weights, ids), ids.length, 32, 'cls'))).toBeLessThan(1e-4);
    });
    expect(enc.describe()).toBe(tower.describe());
    await enc.dispose();
    await expect(tower.embed(padBatch([EXPECTED[0]], 0))).rejects.toThrow(/disposed/);
  });

  it('refuses batches longer than the model accepts', async () => {
    const enc = await OnnxEncoder.fromPretrained(dir, { maxLength: 8 });
    try {
      await expect(enc.embed(padBatch([EXPECTED[2]], 0))).rejects.toThrow(/11 tokens, the model accepts at most 8/);
    } finally {
      await enc.dispose();
    }
  });
});
