import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Int32, Utf8, makeData, tableFromArrays, tableToIPC, vectorFromArray } from 'apache-arrow';
import { IdMap, readRelsTable, readResults, writeResults } from '../src/index.js';
import { listInt32Data } from '../src/arrow/columns.js';
import { readIdMapFile, readTokenFile, writeArrowFile, writeIdMapFile, writeRelsTable, type Rels } from '../src/formats.js';
import { recordBatch, schemaFor } from '../src/arrow.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir();

describe('results table', () => {
  it('round-trips qids, labels (Int32 in, Int64 out) and scores with metadata', async () => {
    const p = join(dir, 'results.arrow');
    const labels = Int32Array.from([3, 1, -1, 0, 2, 4]);
    const distances = Float32Array.from([0.9, 0.5, -Infinity, 0.7, 0.6, 0.1]);
    await writeResults(p, { qids: ['q1', 'q2'], k: 3, labels, distances }, { 'libvq.metric': 'ip' });
    const r = await readResults(p);
    expect(r.k).toBe(3);
    expect(r.qids).toEqual(['q1', 'q2']);
    expect(Array.from(r.labels, Number)).toEqual(Array.from(labels));
    expect(r.distances).toEqual(distances);
    expect(r.metadata.get('libvq.metric')).toBe('ip');
    expect(r.metadata.get('libvq.k')).toBe('3');
  });

  it('checks shapes on write and the schema on read', async () => {
    await expect(writeResults(join(dir, 'x.arrow'), { qids: ['a'], k: 2, labels: new Int32Array(3), distances: new Float32Array(2) })).rejects.toThrow(
      /1 qids x k=2 needs 2 labels and distances, got 3 and 2/,
    );
    const p = join(dir, 'bad-results.arrow');
    writeFileSync(p, tableToIPC(tableFromArrays({ qid: ['a'], doc_ids: Int32Array.of(1) }), 'file'));
    await expect(readResults(p)).rejects.toThrow(new RegExp(`${p}: column "doc_ids" has type Int32, expected FixedSizeList<Int64>`));
    const q = join(dir, 'no-qid.arrow');
    writeFileSync(q, tableToIPC(tableFromArrays({ x: Int32Array.of(1) }), 'file'));
    await expect(readResults(q)).rejects.toThrow(/column "qid" \(Utf8, Int64 or Int32\) is missing; the columns are "x": Int32/);
  });
});

describe('rels table', () => {
  it('round-trips judgments', async () => {
    const rels: Rels = new Map([
      ['q1', new Map([['d1', 2], ['d2', 1]])],
      ['q2', new Map([['d1', 0]])],
    ]);
    const p = join(dir, 'rels.arrow');
    await writeRelsTable(p, rels);
    expect(await readRelsTable(p)).toEqual(rels);
  });

  it('rejects a wrong grade type and repeated judgments', async () => {
    const p = join(dir, 'rels-float.arrow');
    writeFileSync(p, tableToIPC(tableFromArrays({ qid: ['a'], doc_id: ['b'], grade: Float64Array.of(1) }), 'file'));
    await expect(readRelsTable(p)).rejects.toThrow(/column "grade" has type Float64, expected Int32/);
    const q = join(dir, 'rels-dup.arrow');
    writeFileSync(q, tableToIPC(tableFromArrays({ qid: ['a', 'a'], doc_id: ['b', 'b'], grade: Int32Array.of(1, 2) }), 'file'));
    await expect(readRelsTable(q)).rejects.toThrow(/row 1 repeats the judgment \(qid a, doc_id b\)/);
  });

  it('refuses to write a grade the Int32 column cannot hold, instead of wrapping it', async () => {
    const p = join(dir, 'rels-wide.arrow');
    for (const g of [2147483648, -2147483649, 1.5, Number.NaN]) {
      await expect(writeRelsTable(p, new Map([['q1', new Map([['d1', g]])]]))).rejects.toThrow(
        new RegExp(`rels-wide\\.arrow: the grade of qid "q1", doc_id "d1" is ${g}: expected an integer from -2147483648 to 2147483647`),
      );
    }
    await writeRelsTable(p, new Map([['q1', new Map([['d1', 2147483647], ['d2', -2147483648]])]]));
    expect([...(await readRelsTable(p)).get('q1')!.values()]).toEqual([2147483647, -2147483648]);
  });
});

describe('id map file', () => {
  it('round-trips ids across several batches', async () => {
    const ids = IdMap.from(Array.from({ length: 1000 }, (_, i) => `id-${i}`));
    const p = join(dir, 'ids.arrow');
    await writeIdMapFile(p, ids, 128);
    const back = await readIdMapFile(p);
    expect(back.ids()).toEqual(ids.ids());
    expect(back.offset('id-777')).toBe(777);
  });

  it('rejects duplicate ids', async () => {
    const p = join(dir, 'ids-dup.arrow');
    writeFileSync(p, tableToIPC(tableFromArrays({ id: ['a', 'b', 'a'] }), 'file'));
    await expect(readIdMapFile(p)).rejects.toThrow(/duplicate id "a" at rows 0 and 2/);
  });
});

describe('tokens file', () => {
  function tokensFile(name: string, lengths: Int32Array, meta: Array<[string, string]>): Promise<string> {
    const p = join(dir, name);
    const cols = [
      listInt32Data(Int32Array.of(5, 6, 7, 8, 9), Int32Array.of(0, 2, 5)),
      makeData({ type: new Int32(), length: 2, nullCount: 0, data: lengths }),
    ];
    const schema = schemaFor(['input_ids', 'length'], cols, new Map(meta));
    return writeArrowFile(p, schema, [recordBatch(schema, cols)]).then(() => p);
  }

  it('reads rows and metadata back', async () => {
    const p = await tokensFile('ok.tokens.arrow', Int32Array.of(2, 3), [
      ['libvq.tokenizer', 'tok'],
      ['libvq.max_length', '3'],
    ]);
    const t = await readTokenFile(p);
    expect([t.rows, t.tokenizer, t.maxLength]).toEqual([2, 'tok', 3]);
    expect(Array.from(t.offsets)).toEqual([0, 2, 5]);
    expect(Array.from(t.values)).toEqual([5, 6, 7, 8, 9]);
  });

  it('rejects missing metadata, inconsistent lengths, over-long rows and missing columns', async () => {
    const noTok = await tokensFile('a.tokens.arrow', Int32Array.of(2, 3), [['libvq.max_length', '3']]);
    await expect(readTokenFile(noTok)).rejects.toThrow(/schema metadata "libvq.tokenizer" is missing/);
    const badMax = await tokensFile('b.tokens.arrow', Int32Array.of(2, 3), [
      ['libvq.tokenizer', 't'],
      ['libvq.max_length', 'x'],
    ]);
    await expect(readTokenFile(badMax)).rejects.toThrow(/"libvq.max_length" is "x", expected a non-negative integer/);
    const badLen = await tokensFile('c.tokens.arrow', Int32Array.of(2, 4), [
      ['libvq.tokenizer', 't'],
      ['libvq.max_length', '9'],
    ]);
    await expect(readTokenFile(badLen)).rejects.toThrow(/row 1 has length 4 but 3 input_ids/);
    const tooLong = await tokensFile('d.tokens.arrow', Int32Array.of(2, 3), [
      ['libvq.tokenizer', 't'],
      ['libvq.max_length', '2'],
    ]);
    await expect(readTokenFile(tooLong)).rejects.toThrow(/row 1 has 3 tokens, more than libvq.max_length 2/);
    const p = join(dir, 'e.tokens.arrow');
    const cols = [vectorFromArray(['x'], new Utf8()).data[0]];
    const schema = schemaFor(['input_ids'], cols);
    await writeArrowFile(p, schema, [recordBatch(schema, cols)]);
    await expect(readTokenFile(p)).rejects.toThrow(/column "input_ids" has type Utf8, expected List<Int32>/);
  });
});
