import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LibvqError } from '@libvq/index-core';
import { IdMap, loadNegatives, loadRels, loadTextFile, readLineBatches, relsToOffsets, negativesToOffsets } from '../src/index.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir();
let n = 0;
function file(content: string | Buffer, name = `f${n++}.tsv`): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function lines(p: string, chunkSize?: number): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  for await (const b of readLineBatches(p, { chunkSize })) b.lines.forEach((l, i) => out.push([b.firstLine + i, l]));
  return out;
}

async function fails(p: Promise<unknown>, message: string | RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LibvqError);
  expect((err as Error).message).toMatch(message);
}

describe('readLineBatches', () => {
  it('handles LF, CRLF, a BOM, a missing final newline and multi-byte characters across chunks', async () => {
    const text = '\ufeffa\tb\r\nc\u00e9\u4e2d\t\u00fc\nlast';
    const p = file(Buffer.from(text, 'utf8'));
    const expected: Array<[number, string]> = [
      [1, 'a\tb'],
      [2, 'c\u00e9\u4e2d\t\u00fc'],
      [3, 'last'],
    ];
    expect(await lines(p)).toEqual(expected);
    // 1-byte chunks split every multi-byte character and the \r\n pair.
    expect(await lines(p, 1)).toEqual(expected);
    expect(await lines(p, 3)).toEqual(expected);
  });

  it('yields nothing for an empty file and keeps a final CR-only line clean', async () => {
    expect(await lines(file(''))).toEqual([]);
    expect(await lines(file('x\r\n'))).toEqual([[1, 'x']]);
    expect(await lines(file('x\ny\r'))).toEqual([
      [1, 'x'],
      [2, 'y'],
    ]);
  });

  it('refuses old-Mac (CR-only) line ends and stray CRs, naming the line, in any chunk size', async () => {
    const mac = file('d1\tone\rd2\ttwo\rd3\tthree\r');
    for (const chunk of [1, 4, 1 << 20]) await fails(lines(mac, chunk), new RegExp(`${mac}:1: a carriage return .* old-Mac \\(CR-only\\) line ends`));
    const stray = file('d1\tok\nd2\tbad\rtext\nd3\tfine\n');
    await fails(lines(stray), new RegExp(`${stray}:2: a carriage return`));
  });

  it('reports invalid UTF-8 with its line', async () => {
    const p = file(Buffer.concat([Buffer.from('ok\nfine\nbad '), Buffer.from([0xff, 0xfe]), Buffer.from('\nmore\n')]));
    await fails(lines(p), new RegExp(`${p}:3: invalid UTF-8`));
  });

  it('names a missing file', async () => {
    await fails(lines(join(dir, 'nope.tsv')), /nope\.tsv: no such file/);
  });
});

describe('collection and queries files', () => {
  it('reads ids and fields in file order, skipping blank lines', async () => {
    const p = file('\ufeffd1\tTitle one\tBody one\r\n\r\nd2\t\tBody two\r\nd3\tT3\tB3');
    const r = await loadTextFile(p);
    expect(r.ids.ids()).toEqual(['d1', 'd2', 'd3']);
    expect(r.fields).toEqual([
      ['Title one', 'Body one'],
      ['', 'Body two'],
      ['T3', 'B3'],
    ]);
    expect(r.ids.offset('d2')).toBe(1);
    expect(r.skipped).toBe(0);
  });

  it('rejects wrong column counts, empty and duplicate ids with file and line', async () => {
    await fails(loadTextFile(file('1\ta\tb\n2\tc\n')), /:2: expected 3 columns \(id \+ 2 text fields, as on the first row\), got 2 columns/);
    await fails(loadTextFile(file('1\ta\n2\tc\td\n')), /:2: expected 2 columns .*got 3 columns/);
    await fails(loadTextFile(file('only-one-column\n')), /:1: expected id \\t text \(at least 2 columns\), got 1 column/);
    await fails(loadTextFile(file('1\ta\n\tb\n')), /:2: empty id/);
    await fails(loadTextFile(file('1\ta\n  \tb\n')), /:2: empty id/);
    await fails(loadTextFile(file('1\ta\n2\tb\n1\tc\n')), /:3: duplicate id "1" \(first seen at row offset 0\)/);
    await fails(loadTextFile(file('1\ta\tb\n'), { fields: 1 }), /:1: expected 2 columns \(id \+ 1 text field\), got 3 columns/);
  });

  it('skips and counts bad rows when asked, keeping offsets dense', async () => {
    const p = file('1\ta\n2\n\t x\n3\tc\n1\tdup\n4\td\te\n5\tf\n');
    const r = await loadTextFile(p, { skipBadRows: true });
    expect(r.ids.ids()).toEqual(['1', '3', '5']);
    expect(r.fields).toEqual([['a'], ['c'], ['f']]);
    expect(r.skipped).toBe(4);
    expect(r.skippedExamples).toEqual([
      `${p}:2: expected 2 columns (id + 1 text field, as on the first row), got 1 column`,
      `${p}:3: empty id`,
      `${p}:5: duplicate id "1" (first seen at row offset 0)`,
      `${p}:6: expected 2 columns (id + 1 text field, as on the first row), got 3 columns`,
    ]);
  });
});

describe('rels files', () => {
  const queries = IdMap.from(['q1', 'q2', 'q3']);
  const docs = IdMap.from(['d1', 'd2', 'd3', 'd4']);

  it('reads 2-column (grade 1), 3-column and TREC 4-column judgments', async () => {
    const r = await loadRels(file('q1\td1\nq1\td3\t2\r\nq2\t0\td4\t3\nq2\td2\t0\n'), { queryIds: queries, docIds: docs });
    expect(r.count).toBe(4);
    expect([...r.rels.get('q1')!]).toEqual([
      ['d1', 1],
      ['d3', 2],
    ]);
    expect([...r.rels.get('q2')!]).toEqual([
      ['d4', 3],
      ['d2', 0],
    ]);
    const off = relsToOffsets(r.rels, queries, docs);
    expect([...off.get(0)!]).toEqual([
      [0, 1],
      [2, 2],
    ]);
    expect([...off.get(1)!]).toEqual([
      [3, 3],
      [1, 0],
    ]);
  });

  it('rejects every malformed row with file and line', async () => {
    const o = { queryIds: queries, docIds: docs };
    await fails(loadRels(file('q1\td1\nq1\n'), o), /:2: expected qid \\t doc_id \[\\t grade\] .*got 1 column/);
    await fails(loadRels(file('q1\td1\t1\tx\ty\n'), o), /:1: expected .*got 5 columns/);
    await fails(loadRels(file('q1\td1\t1.5\n'), o), /:1: grade "1.5" is not an integer/);
    await fails(loadRels(file('q1\td1\thigh\n'), o), /:1: grade "high" is not an integer/);
    await fails(loadRels(file('\td1\n'), o), /:1: empty qid/);
    await fails(loadRels(file('q1\t \n'), o), /:1: empty doc_id/);
    await fails(loadRels(file('q1\td1\nq9\td1\n'), o), /:2: judgment names qid "q9", which is not in the queries file/);
    await fails(loadRels(file('q1\td9\n'), o), /:1: judgment names doc_id "d9", which is not in the collection/);
    await fails(loadRels(file('q1\td1\nq1\td1\t2\n'), o), /:2: duplicate judgment for qid "q1", doc_id "d1"/);
  });

  it('skips and counts bad judgments when asked', async () => {
    const r = await loadRels(file('q1\td1\nq9\td1\nq1\td2\tx\nq2\td2\n'), { queryIds: queries, docIds: docs, skipBadRows: true });
    expect(r.count).toBe(2);
    expect(r.skipped).toBe(2);
    expect(r.skippedExamples[0]).toMatch(/:2: judgment names qid "q9"/);
    expect(r.skippedExamples[1]).toMatch(/:3: grade "x"/);
  });

  it('without known ids accepts any ids', async () => {
    const r = await loadRels(file('a\tb\n'));
    expect(r.rels.get('a')!.get('b')).toBe(1);
  });
});

describe('negatives files', () => {
  const queries = IdMap.from(['q1', 'q2']);
  const docs = IdMap.from(['d1', 'd2', 'd3']);

  it('keeps file order per query', async () => {
    const r = await loadNegatives(file('q1\td3\nq2\td1\nq1\td1\n'), { queryIds: queries, docIds: docs });
    expect(r.negatives.get('q1')).toEqual(['d3', 'd1']);
    expect(r.count).toBe(3);
    const off = negativesToOffsets(r.negatives, queries, docs);
    expect(Array.from(off.get(0)!)).toEqual([2, 0]);
  });

  it('rejects bad rows with file and line', async () => {
    const o = { queryIds: queries, docIds: docs };
    await fails(loadNegatives(file('q1\td1\t2\n'), o), /:1: expected qid \\t doc_id \(2 columns\), got 3 columns/);
    await fails(loadNegatives(file('q1\td1\nq1\td1\n'), o), /:2: duplicate negative/);
    await fails(loadNegatives(file('q1\tdx\n'), o), /:1: negative names doc_id "dx"/);
  });
});
