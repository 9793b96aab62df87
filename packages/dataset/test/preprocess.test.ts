import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '@huggingface/tokenizers';
import { LibvqError } from '@libvq/index-core';
import { preprocessData, readIdMap, readRelsTable, readTokens } from '../src/index.js';
import { streamTokens, type TextTokenizer } from '../src/tokens.js';
import { tokenRow } from '../src/formats.js';
import { tempDir } from './helpers/tmp.js';
import { loadWordTokenizer, wordLevelJson } from './helpers/word-tokenizer.js';

const root = tempDir();
const WORDS = ['the', 'wing', 'flow', 'of', 'a', 'heat', 'plate', 'shear', 'what', 'is', 'on', 'boundary', 'layer'];
const tokPath = join(root, 'tokenizer.json');
writeFileSync(tokPath, JSON.stringify(wordLevelJson(WORDS)));
const tokenizer = loadWordTokenizer(tokPath);
const id = (w: string) => WORDS.indexOf(w) + 4;
const CLS = 2;
const SEP = 3;
const UNK = 1;

function dataDir(name: string, files: Record<string, string>): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(d, f), text);
  return d;
}

const small = dataDir('small', {
  'collection.tsv': 'd1\tThe wing\tflow of a wing\nd2\tHeat\tthe boundary layer on a plate zzz\r\nd3\t\tshear\n',
  'train-queries.tsv': 'q1\twhat is the flow\nq2\tshear layer\n',
  'dev-queries.tsv': 'q3\theat of a plate on the boundary layer\n',
  'train-rels.tsv': 'q1\td1\t2\nq1\td3\nq2\td3\t1\n',
  'dev-rels.tsv': 'q3\td2\n',
});

describe('preprocessData', () => {
  it('tokenizes every file once, joins fields with [SEP], truncates keeping [CLS]/[SEP]', async () => {
    const out = join(root, 'out-small');
    const res = await preprocessData({ dataDir: small, outputDir: out, tokenizer, maxDocLength: 6, maxQueryLength: 5 });
    expect(Object.keys(res.prefixes).sort()).toEqual(['dev-queries', 'docs', 'train-queries']);
    const docs = await readTokens(out, 'docs');
    expect(docs.tokenizer).toBe('test-wordlevel');
    expect(docs.maxLength).toBe(6);
    expect(docs.rows).toBe(3);
    // d1: [CLS] the wing [SEP] flow of a wing [SEP] (9 tokens) -> first 5 + the final [SEP].
    expect(Array.from(tokenRow(docs, 0))).toEqual([CLS, id('the'), id('wing'), SEP, id('flow'), SEP]);
    // d2: [CLS] heat [SEP] the boundary layer on a plate zzz [SEP] -> cut in the middle.
    expect(Array.from(tokenRow(docs, 1))).toEqual([CLS, id('heat'), SEP, id('the'), id('boundary'), SEP]);
    // d3: empty title: [CLS] [SEP] shear [SEP] fits.
    expect(Array.from(tokenRow(docs, 2))).toEqual([CLS, SEP, id('shear'), SEP]);
    const dev = await readTokens(out, 'dev-queries');
    expect(Array.from(tokenRow(dev, 0))).toEqual([CLS, id('heat'), id('of'), id('a'), SEP]);
    const train = await readTokens(out, 'train-queries');
    expect(Array.from(tokenRow(train, 0))).toEqual([CLS, id('what'), id('is'), id('the'), SEP]);
    expect(Array.from(tokenRow(train, 1))).toEqual([CLS, id('shear'), id('layer'), SEP]);
    expect((await readIdMap(out, 'docs')).ids()).toEqual(['d1', 'd2', 'd3']);
    expect((await readIdMap(out, 'train-queries')).ids()).toEqual(['q1', 'q2']);
    const rels = await readRelsTable(join(out, 'train-rels.arrow'));
    expect([...rels.get('q1')!]).toEqual([
      ['d1', 2],
      ['d3', 1],
    ]);
    expect(res.rels.dev).toMatchObject({ count: 1, queries: 1, skipped: 0 });
    expect(res.prefixes.docs).toMatchObject({ rows: 3, fields: 2, tokens: 16, maxLength: 6, skipped: 0 });
    const manifest = JSON.parse(readFileSync(join(out, 'preprocess.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ tokenizer: 'test-wordlevel', maxDocLength: 6, maxQueryLength: 5 });
    // Nothing but the outputs: the temporaries were renamed.
    expect(readdirSync(out).sort()).toEqual([
      'dev-queries.ids.arrow',
      'dev-queries.tokens.arrow',
      'dev-rels.arrow',
      'docs.ids.arrow',
      'docs.tokens.arrow',
      'preprocess.json',
      'train-queries.ids.arrow',
      'train-queries.tokens.arrow',
      'train-rels.arrow',
    ]);
  });

  it('matches the tokenizer run directly on a larger generated corpus, and workers give identical bytes', async () => {
    // 3000 docs: enough for several batches and every worker; independent oracle = the HF tokenizer itself.
    const lines: string[] = [];
    const texts: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const n = 1 + ((i * 7) % 23);
      const words = Array.from({ length: n }, (_, j) => WORDS[(i * 3 + j * 5) % WORDS.length]);
      const title = WORDS[i % WORDS.length];
      lines.push(`doc${i}\t${title}\t${words.join(' ')}`);
      texts.push(`${title} [SEP] ${words.join(' ')}`);
    }
    const d = dataDir('gen', { 'collection.tsv': `${lines.join('\n')}\n`, 'test-queries.tsv': 'x\twing\n' });
    const progress: Array<[number, number]> = [];
    const one = join(root, 'gen-1');
    await preprocessData({ dataDir: d, outputDir: one, tokenizer, maxDocLength: 12, batchRows: 256, onProgress: (a, b) => progress.push([a, b]) });
    expect(progress[progress.length - 1]).toEqual([3001, 3001]);
    for (let i = 1; i < progress.length; i++) expect(progress[i][0]).toBeGreaterThanOrEqual(progress[i - 1][0]);

    const hf = new Tokenizer(JSON.parse(readFileSync(tokPath, 'utf8')) as Record<string, unknown>, {});
    const docs = await readTokens(one, 'docs');
    for (let i = 0; i < texts.length; i++) {
      const full = hf.encode(texts[i]).ids;
      const want = full.length <= 12 ? full : [...full.slice(0, 11), full[full.length - 1]];
      expect(Array.from(tokenRow(docs, i))).toEqual(want);
    }
    let streamed = 0;
    for await (const b of streamTokens(one, 'docs')) {
      expect(b.start).toBe(streamed);
      streamed += b.rows;
    }
    expect(streamed).toBe(3000);

    const three = join(root, 'gen-3');
    await preprocessData({ dataDir: d, outputDir: three, tokenizer, maxDocLength: 12, batchRows: 256, workers: 3 });
    for (const f of ['docs.tokens.arrow', 'docs.ids.arrow', 'test-queries.tokens.arrow']) {
      expect(readFileSync(join(three, f)).equals(readFileSync(join(one, f)))).toBe(true);
    }
    // A factory instead of an instance gives the same bytes too.
    const four = join(root, 'gen-f');
    await preprocessData({ dataDir: d, outputDir: four, tokenizer: tokenizer.factory!, maxDocLength: 12, batchRows: 256, workers: 2 });
    expect(readFileSync(join(four, 'docs.tokens.arrow')).equals(readFileSync(join(one, 'docs.tokens.arrow')))).toBe(true);
  });

  it('fails on bad rows with file and line, or skips and reports them', async () => {
    const d = dataDir('bad', {
      'collection.tsv': 'd1\ta\tb\nd2\tc\nd3\td\te\n',
      'train-queries.tsv': 'q1\twing\n',
      'train-rels.tsv': 'q1\td1\nq1\td2\n',
    });
    await expect(preprocessData({ dataDir: d, outputDir: join(root, 'bad-out'), tokenizer })).rejects.toThrow(
      new RegExp(`${d}/collection.tsv:2: expected 3 columns`),
    );
    // Nothing was left behind by the failed run.
    expect(readdirSync(join(root, 'bad-out'))).toEqual([]);
    const res = await preprocessData({ dataDir: d, outputDir: join(root, 'bad-skip'), tokenizer, skipBadRows: true });
    expect(res.prefixes.docs).toMatchObject({ rows: 2, skipped: 1 });
    // d2 was skipped, so the judgment naming it is a bad row too (unknown doc id), skipped and counted.
    expect(res.rels.train).toMatchObject({ count: 1, skipped: 1 });
    expect(res.rels.train.skippedExamples[0]).toMatch(/train-rels\.tsv:2: judgment names doc_id "d2", which is not in the collection/);
  });

  it('rejects rels naming unknown ids', async () => {
    const d = dataDir('badrels', {
      'collection.tsv': 'd1\ta\n',
      'dev-queries.tsv': 'q1\twing\n',
      'dev-rels.tsv': 'q1\td1\nq2\td1\n',
    });
    await expect(preprocessData({ dataDir: d, outputDir: join(root, 'badrels-out'), tokenizer })).rejects.toThrow(/dev-rels\.tsv:2: judgment names qid "q2"/);
  });

  it('checks its arguments and the tokenizer', async () => {
    const out = join(root, 'args');
    await expect(preprocessData({ dataDir: join(root, 'none'), outputDir: out, tokenizer })).rejects.toThrow(/cannot list data directory/);
    await expect(preprocessData({ dataDir: small, outputDir: out, tokenizer, maxDocLength: 1 })).rejects.toThrow(/maxDocLength: expected an integer >= 2/);
    await expect(preprocessData({ dataDir: small, outputDir: out, tokenizer, workers: 0 })).rejects.toThrow(/workers: expected a positive integer/);
    const noFactory: TextTokenizer = { name: 'x', separator: null, isSpecial: () => false, encode: () => new Int32Array(0) };
    await expect(preprocessData({ dataDir: small, outputDir: out, tokenizer: noFactory, workers: 2 })).rejects.toThrow(/needs a tokenizer that worker threads can rebuild/);
    await expect(preprocessData({ dataDir: small, outputDir: out, tokenizer: { encode: 1 } as unknown as TextTokenizer })).rejects.toThrow(/not a TextTokenizer/);
    const badFactory = { module: tokenizer.factory!.module, exportName: 'nope', args: [] };
    await expect(preprocessData({ dataDir: small, outputDir: out, tokenizer: badFactory })).rejects.toThrow(/has no function export "nope"/);
    await expect(preprocessData({ dataDir: small, outputDir: out, tokenizer: badFactory, workers: 2 })).rejects.toThrow(/has no function export "nope"/);
  });

  it('stops on abort and leaves no partial files', async () => {
    const ctrl = new AbortController();
    const out = join(root, 'aborted');
    const p = preprocessData({
      dataDir: small,
      outputDir: out,
      tokenizer,
      batchRows: 1,
      signal: ctrl.signal,
      onProgress: (done) => {
        if (done >= 1) ctrl.abort();
      },
    });
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvqError);
    expect((err as LibvqError).code).toBe('ABORTED');
    expect(readdirSync(out)).toEqual([]);
  });
});
