import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEmbeddings } from '@libvq/dataset';
import { LibvqError, type Matrix } from '@libvq/index-core';
import { BaseEncoder, encodeTexts, inference, type TokenBatch } from '../src/index.js';
import type { TextEmbedOptions, TextEmbedder } from '../src/model.js';

/*
 * The text path (issue 16): an encoder that takes texts (transformers.js, a remote embedding API) implements
 * encodeTexts(texts, { isQuery }), and encodeTexts() / inference() hand it the texts untokenized. The toy encoder
 * is a hashed bag of characters; every result is compared with that function computed directly on the texts.
 */
const DIM = 16;

/** A hashed bag of characters, L2-normalised; queries hash with another salt, so a wrong side shows. */
function bagOfChars(text: string, isQuery: boolean): number[] {
  const v = new Array<number>(DIM).fill(0);
  for (const ch of text.toLowerCase()) v[(Math.imul(ch.codePointAt(0)!, 2654435761) + (isQuery ? 7 : 0)) >>> 0 & (DIM - 1)] += 1;
  const n = Math.hypot(...v);
  return n > 0 ? v.map((x) => x / n) : v;
}

class CharBagEncoder implements TextEmbedder {
  readonly dim = DIM;
  readonly batches: Array<{ size: number; isQuery: boolean }> = [];
  async encodeTexts(texts: readonly string[], { isQuery }: TextEmbedOptions): Promise<Matrix> {
    this.batches.push({ size: texts.length, isQuery });
    return { rows: texts.length, dim: DIM, data: Float32Array.from(texts.flatMap((t) => bagOfChars(t, isQuery))) };
  }
  describe(): string {
    return 'char-bag-16';
  }
  normalized(): boolean {
    return true;
  }
}

const DOCS = [
  ['d1', 'The wing', 'supersonic flow over the body'],
  ['d2', 'Shockwaves at Mach 2!', 'heat and pressure'],
  ['d3', '', 'the boundary layer'],
  ['d4', 'air', ''],
  ['d5', 'wing body', 'mach'],
];
const QUERIES = [
  ['q1', 'supersonic wing'],
  ['q2', 'heat transfer in the boundary layer at mach 2'],
];
/** What a text encoder is given for a record: its fields joined by a space. */
const docText = (d: string[]): string => d.slice(1).join(' ');

let raw: string;
beforeAll(async () => {
  raw = await mkdtemp(join(tmpdir(), 'libvq-text-'));
  await writeFile(join(raw, 'collection.tsv'), DOCS.map((r) => r.join('\t')).join('\n') + '\n');
  await writeFile(join(raw, 'dev-queries.tsv'), QUERIES.map((r) => r.join('\t')).join('\n') + '\n');
});
afterAll(() => rm(raw, { recursive: true, force: true }));

function expectRows(m: Matrix, rows: number[][]): void {
  expect(m.rows).toBe(rows.length);
  expect(m.dim).toBe(DIM);
  expect(Array.from(m.data)).toEqual(Array.from(Float32Array.from(rows.flat())));
}

describe('an encoder that takes texts', () => {
  it('inference reads the raw LibVQ directory and writes the same embeddings table, without tokenizing', async () => {
    const enc = new CharBagEncoder();
    const out = join(raw, 'emb');
    const progress: Array<[number, number]> = [];
    const r = await inference({ dataDir: raw, prefix: 'docs', encoder: enc, outputDir: out, batchSize: 2, returnVecs: true, onProgress: (d, t) => progress.push([d, t]) });
    const expected = DOCS.map((d) => bagOfChars(docText(d), false));
    expect(r).toMatchObject({ rows: 5, dim: DIM, truncated: 0 });
    expectRows(r.vectors!, expected);
    expect(enc.batches).toEqual([{ size: 2, isQuery: false }, { size: 2, isQuery: false }, { size: 1, isQuery: false }]);
    expect(progress.at(-1)).toEqual([5, 5]);
    const file = await readEmbeddings(r.path);
    expect(file.ids).toEqual(DOCS.map((d) => d[0]));
    expectRows(file.matrix, expected);
    expect(file.metadata).toEqual({ encoder: 'char-bag-16', pooling: 'unknown', normalized: true });

    // A "-queries" prefix goes to the query side, as for token encoders.
    const q = await inference({ dataDir: raw, prefix: 'dev-queries', encoder: enc, outputDir: out, returnVecs: true });
    expectRows(q.vectors!, QUERIES.map(([, t]) => bagOfChars(t, true)));
  });

  it('encodeTexts needs no tokenizer and gives the same rows', async () => {
    const enc = new CharBagEncoder();
    const texts = DOCS.map(docText);
    const progress: number[] = [];
    const m = await encodeTexts({ encoder: enc, texts, batchSize: 3, isQuery: true, onProgress: (d) => progress.push(d) });
    expectRows(m, texts.map((t) => bagOfChars(t, true)));
    expect(progress).toEqual([3, 5]);
  });

  it('a BaseEncoder that also has encodeTexts is given texts; its token towers are not called', async () => {
    class Hybrid extends BaseEncoder {
      readonly dim = DIM;
      private readonly texts = new CharBagEncoder();
      async queryEmb(_batch: TokenBatch): Promise<Matrix> {
        throw new Error('token path used');
      }
      async docEmb(_batch: TokenBatch): Promise<Matrix> {
        throw new Error('token path used');
      }
      override encodeTexts(texts: readonly string[], opts: TextEmbedOptions): Promise<Matrix> {
        return this.texts.encodeTexts(texts, opts);
      }
    }
    const r = await inference({ dataDir: raw, prefix: 'docs', encoder: new Hybrid(), outputDir: join(raw, 'hybrid'), returnVecs: true });
    expectRows(r.vectors!, DOCS.map((d) => bagOfChars(docText(d), false)));
    expect((await readEmbeddings(r.path)).metadata.encoder).toBe('Hybrid');
  });

  it('clear errors: a preprocessed directory, a wrong shape, non-finite values, a token encoder without a tokenizer', async () => {
    const enc = new CharBagEncoder();
    const pre = join(raw, 'emb'); // has embeddings files, no collection.tsv
    const err = await inference({ dataDir: pre, prefix: 'docs', encoder: enc, outputDir: pre }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvqError);
    expect((err as LibvqError).code).toBe('IO');
    expect((err as Error).message).toMatch(/collection\.tsv: not found\. An encoder with encodeTexts reads the raw texts of "docs"/);

    const short: TextEmbedder = { dim: DIM, encodeTexts: async (texts) => ({ rows: texts.length - 1, dim: DIM, data: new Float32Array((texts.length - 1) * DIM) }) };
    await expect(inference({ dataDir: raw, prefix: 'docs', encoder: short, outputDir: join(raw, 'bad'), batchSize: 2 })).rejects.toThrow(/collection\.tsv lines 1-2: encodeTexts returned 1x16 for a batch of 2 texts, expected 2x16/);
    const nan: TextEmbedder = { dim: DIM, encodeTexts: async (texts) => ({ rows: texts.length, dim: DIM, data: new Float32Array(texts.length * DIM).fill(Number.NaN) }) };
    await expect(encodeTexts({ encoder: nan, texts: ['wing'] })).rejects.toMatchObject({ code: 'NON_FINITE' });

    class TokensOnly extends BaseEncoder {
      readonly dim = DIM;
      async queryEmb(b: TokenBatch): Promise<Matrix> {
        return { rows: b.batchSize, dim: DIM, data: new Float32Array(b.batchSize * DIM) };
      }
      async docEmb(b: TokenBatch): Promise<Matrix> {
        return this.queryEmb(b);
      }
    }
    await expect(encodeTexts({ encoder: new TokensOnly(), texts: ['wing'] })).rejects.toThrow(/tokenizer: expected a tokenizer \(the encoder takes token batches and has no encodeTexts\)/);
    await expect(encodeTexts({ encoder: {} as TextEmbedder, texts: ['wing'] })).rejects.toThrow(/encoder: expected a BaseEncoder \(queryEmb \/ docEmb over token batches\) or an object with encodeTexts/);
  });
});
