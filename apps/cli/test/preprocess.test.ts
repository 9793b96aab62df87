import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readIdMap, readTokens } from '@libvq/dataset';
import { tokenRow } from '@libvq/dataset/formats';
import { wordLevelTokenizerJson } from '@libvq/encoder/onnx';
import { registerPreprocess } from '../src/commands/preprocess.js';
import { runLibvq } from './cli-runner.js';

const root = mkdtempSync(join(tmpdir(), 'libvq-cli-preprocess-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const WORDS = ['the', 'wing', 'flow', 'heat', 'plate', 'what', 'is'];
const model = join(root, 'model');
mkdirSync(model);
writeFileSync(join(model, 'tokenizer.json'), JSON.stringify(wordLevelTokenizerJson({ words: WORDS })));
const id = (w: string) => WORDS.indexOf(w) + 2; // [PAD] = 0, [UNK] = 1

function dataDir(name: string, collection: string): string {
  const d = join(root, name);
  mkdirSync(d);
  writeFileSync(join(d, 'collection.tsv'), collection);
  writeFileSync(join(d, 'dev-queries.tsv'), 'q1\tWhat is the flow\n');
  writeFileSync(join(d, 'dev-rels.tsv'), 'q1\td2\t2\n');
  return d;
}

function libvq(...args: string[]) {
  return runLibvq([registerPreprocess], args);
}

afterEach(() => {
  process.exitCode = 0;
});

describe('libvq preprocess', () => {
  const good = dataDir('good', 'd1\tThe wing\tflow of heat\nd2\tPlate\tthe the the wing flow heat plate\n');

  it('writes token files, id maps and rels, and reports the counts', async () => {
    const out = join(root, 'out1');
    const r = await libvq('preprocess', '--data', good, '--out', out, '--tokenizer', model, '--max-doc-length', '5', '--max-query-length', '8');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/docs: 2 rows, 10 tokens \(max 5\) from collection\.tsv/);
    expect(r.out).toMatch(/dev-rels: 1 judgments for 1 queries/);
    const docs = await readTokens(out, 'docs');
    // No special tokens in this vocabulary: fields joined with a space, "of" unknown -> [UNK] (1), plain cut at 5.
    expect(Array.from(tokenRow(docs, 0))).toEqual([id('the'), id('wing'), id('flow'), 1, id('heat')]);
    expect(Array.from(tokenRow(docs, 1))).toEqual([id('plate'), id('the'), id('the'), id('the'), id('wing')]);
    const q = await readTokens(out, 'dev-queries');
    expect(Array.from(tokenRow(q, 0))).toEqual([id('what'), id('is'), id('the'), id('flow')]);
    expect((await readIdMap(out, 'docs')).ids()).toEqual(['d1', 'd2']);
  });

  it('gives the same bytes with worker threads, and accepts a tokenizer.json path', async () => {
    const a = join(root, 'out-w1');
    const b = join(root, 'out-w2');
    // Same batch size: the record batches (and so the bytes) then match whatever the thread count.
    expect((await libvq('preprocess', '--data', good, '--out', a, '--tokenizer', model, '--batch-rows', '1')).code).toBe(0);
    expect((await libvq('preprocess', '--data', good, '--out', b, '--tokenizer', join(model, 'tokenizer.json'), '--workers', '2', '--batch-rows', '1')).code).toBe(0);
    for (const f of readdirSync(a).filter((n) => n.endsWith('.arrow'))) {
      expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f)))).toBe(true);
    }
  });

  it('stops at a malformed row with file and line, or skips it with --skip-bad-rows', async () => {
    const bad = dataDir('bad', 'd1\tThe wing\tflow\nd2\tno second field\nd3\ta\tb\n');
    const r = await libvq('preprocess', '--data', bad, '--out', join(root, 'out-bad'), '--tokenizer', model);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`libvq: error [BAD_FILE]: ${join(bad, 'collection.tsv')}:2: expected 3 columns`);
    const s = await libvq('preprocess', '--data', bad, '--out', join(root, 'out-skip'), '--tokenizer', model, '--skip-bad-rows');
    // d2 is judged in dev-rels.tsv but was skipped: that judgment becomes a bad row, skipped and listed too.
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/docs: 2 rows, .*, 1 bad rows skipped/);
    expect(s.out).toMatch(/dev-rels: 0 judgments for 0 queries from dev-rels\.tsv, 1 bad rows skipped/);
    expect(s.out).toMatch(/skipped .*dev-rels\.tsv:1: judgment names doc_id "d2", which is not in the collection/);
  });

  it('rejects bad options with a clear message', async () => {
    const r = await libvq('preprocess', '--data', good, '--out', join(root, 'x'), '--tokenizer', join(root, 'missing'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--tokenizer: .*missing is neither "glove-100" nor an existing model directory/);
    const m = await libvq('preprocess', '--data', good, '--out', join(root, 'x'), '--tokenizer', model, '--max-doc-length', '1');
    expect(m.code).toBe(1);
    expect(m.err).toMatch(/--max-doc-length must be an integer >= 2, got "1"/);
    const w = await libvq('preprocess', '--data', good, '--out', join(root, 'x'), '--tokenizer', model, '--workers', '0');
    expect(w.code).toBe(1);
    expect(w.err).toMatch(/--workers must be an integer >= 1/);
  });
});
