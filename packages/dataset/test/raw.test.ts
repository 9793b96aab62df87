import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LibvqError } from '@libvq/index-core';
import { IdMap, relsToOffsets } from '../src/index.js';
import { loadNegatives, loadRels, loadTextFile, readLineBatches } from '../src/formats.js';
import { negativesToOffsets } from '../src/raw/rels.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir();
let n = 0;
function file(content: string | Buffer, name = `f${n++}.tsv`): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function lines(p: string, chunkSize?: number, maxLineBytes?: number): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  for await (const b of readLineBatches(p, { chunkSize, maxLineBytes })) b.lines.forEach((l, i) => out.push([b.firstLine + i, l]));
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

  it('reads lines spanning many chunks, with 2-, 3- and 4-byte characters cut at every chunk boundary', async () => {
    const long = 'a\u00e9\u4e2d\u{1f600}\t'.repeat(50);
    const text = `\ufeffshort\r\n${long}\r\n\ufeffkept\n${long}x`;
    const expected: Array<[number, string]> = [
      [1, 'short'],
      [2, long],
      [3, '\ufeffkept'], // only the file's first BOM is dropped
      [4, `${long}x`],
    ];
    const p = file(Buffer.from(text, 'utf8'));
    for (const chunk of [1, 2, 3, 5, 7, 64, 1 << 20]) expect(await lines(p, chunk)).toEqual(expected);
  });

  it('reads a 50 MB line whole, next to short ones (the join is linear: this took 10 s when it was not)', async () => {
    const unit = 'word \u00e9\u4e2d\u{1f600} ';
    const copies = Math.ceil((50 << 20) / Buffer.byteLength(unit));
    const p = file(Buffer.concat([Buffer.from('d0\tfirst\nd1\t'), Buffer.alloc(copies * Buffer.byteLength(unit), unit), Buffer.from('\r\nd2\tlast\n')]));
    const got: Array<[number, string]> = [];
    for await (const b of readLineBatches(p)) b.lines.forEach((l, i) => got.push([b.firstLine + i, l]));
    expect(got.map(([n]) => n)).toEqual([1, 2, 3]);
    expect(got[0][1]).toBe('d0\tfirst');
    expect(got[1][1].length).toBe(3 + copies * unit.length);
    expect(got[1][1] === `d1\t${unit.repeat(copies)}`).toBe(true); // toBe would print 50 MB on failure
    expect(got[2][1]).toBe('d2\tlast');
  }, 60_000); // no timing asserted; a loaded machine must not fail it

  it('refuses a line longer than maxLineBytes, naming it, whether or not it spans chunks', async () => {
    const p = file('ok\n0123456789\nok\n');
    expect(await lines(p, 4, 10)).toHaveLength(3);
    for (const chunk of [4, 1 << 20]) await fails(lines(p, chunk, 9), new RegExp(`${p}:2: line is longer than 9 bytes`));
    await fails(lines(p, 4, 0), /maxLineBytes: expected an integer from 1 to/);
  });

  it('refuses a CR-only collection of 30 documents instead of reading it as one document', async () => {
    const docs = Array.from({ length: 30 }, (_, i) => `d${i}\ttitle ${i}\tbody ${i}`);
    const mac = file(`${docs.join('\r')}\r`);
    const oldMac = new RegExp(`${mac}:1: a carriage return .* old-Mac \\(CR-only\\) line ends`);
    await fails(loadTextFile(mac), oldMac);
    await fails(loadTextFile(mac, { skipBadRows: true }), oldMac); // a file-level problem, not a row to skip
    await fails(loadRels(file('q1\td1\t1\rq1\td2\t0\r')), /:1: a carriage return .* old-Mac/);
  });

  it('reports invalid UTF-8 with its line, within a chunk, across chunks and cut off at the end', async () => {
    const p = file(Buffer.concat([Buffer.from('ok\nfine\nbad '), Buffer.from([0xff, 0xfe]), Buffer.from('\nmore\n')]));
    for (const chunk of [1, 3, 1 << 20]) await fails(lines(p, chunk), new RegExp(`${p}:3: invalid UTF-8`));
    // An 'é' (c3 a9) with its second byte missing, then more text on the same line.
    const q = file(Buffer.concat([Buffer.from('ok\nlong line '), Buffer.from([0xc3]), Buffer.from(' goes on\n')]));
    for (const chunk of [1, 4, 1 << 20]) await fails(lines(q, chunk), new RegExp(`${q}:2: invalid UTF-8`));
    const cut = file(Buffer.concat([Buffer.from('ok\nends in half a character '), Buffer.from([0xe4, 0xb8])]));
    for (const chunk of [1, 4, 1 << 20]) await fails(lines(cut, chunk), new RegExp(`${cut}:2: invalid UTF-8`));
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
    await fails(loadRels(file('q1\td1\t1.5\n'), o), /:1: grade "1.5" in column 3 is not an integer/);
    await fails(loadRels(file('q1\td1\thigh\n'), o), /:1: grade "high" in column 3 is not an integer/);
    await fails(loadRels(file('\td1\n'), o), /:1: empty qid/);
    await fails(loadRels(file('q1\t \n'), o), /:1: empty doc_id/);
    await fails(loadRels(file('q1\td1\nq9\td1\n'), o), /:2: judgment names qid "q9", which is not in the queries file/);
    await fails(loadRels(file('q1\td9\n'), o), /:1: judgment names doc_id "d9", which is not in the collection/);
    await fails(loadRels(file('q1\td1\nq1\td1\t2\n'), o), /:2: duplicate judgment for qid "q1", doc_id "d1"/);
  });

  it('accepts grades in the int32 range and refuses any beyond it instead of wrapping them', async () => {
    const r = await loadRels(file('q1\td1\t2147483647\nq1\td2\t-2147483648\nq1\td3\t+7\nq1\td4\t-0\n'));
    expect([...r.rels.get('q1')!.values()]).toEqual([2147483647, -2147483648, 7, 0]);
    await fails(loadRels(file('q1\td1\t1\nq1\td2\t2147483648\n')), /:2: grade "2147483648" in column 3 is out of range: expected an integer from -2147483648 to 2147483647/);
    await fails(loadRels(file('q1\t0\td1\t-2147483649\n')), /:1: grade "-2147483649" in column 4 is out of range/);
    const huge = '9'.repeat(400); // beyond float64 as well
    await fails(loadRels(file(`q1\td1\t${huge}\n`)), new RegExp(`:1: grade "${'9'.repeat(80)}"\\.\\.\\. \\(400 characters\\) in column 3 is out of range`));
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
