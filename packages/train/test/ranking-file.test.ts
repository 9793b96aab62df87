import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labelsFromRanking, readRankingFile, writeRankingFile } from '../src/fit.js';

/* Ranking files (what `libvq cluster label` writes): round trip, damage refused by name; labels as virtualLabels makes them. */
const dir = mkdtempSync(join(tmpdir(), 'libvq-ranking-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ranking files', () => {
  it('round-trip; a flipped byte, a truncated file and another format are refused, naming the file', async () => {
    const ids = Float64Array.from({ length: 4 * 3 }, (_, i) => (i % 5 === 4 ? -1 : 2 ** 40 + i));
    const p = join(dir, 'r.lvqr');
    await writeRankingFile(p, { start: 7, rows: 4, k: 3, ids });
    const back = await readRankingFile(p);
    expect(back).toMatchObject({ start: 7, rows: 4, k: 3 });
    expect(back.ids).toEqual(ids);
    const bytes = readFileSync(p);
    const flipped = Buffer.from(bytes);
    flipped[40] ^= 4;
    writeFileSync(p, flipped);
    await expect(readRankingFile(p)).rejects.toThrow(`ranking ${p}: crc32 mismatch`);
    writeFileSync(p, bytes.subarray(0, bytes.length - 8));
    await expect(readRankingFile(p)).rejects.toThrow(/\(truncated\?\)/);
    writeFileSync(p, Buffer.from('LVQSHRD1 not a ranking at all, long enough to hold a header'));
    await expect(readRankingFile(p)).rejects.toThrow(/not a libvq ranking file/);
  });

  it('labelsFromRanking: rank 1 is the positive, the next negNum the negatives; padding and the own document skipped', () => {
    const ids = Float64Array.from([5, 9, 2, -1, /* query 1: */ 1, 3, 4, 6]);
    const l = labelsFromRanking(ids, 2, 4, 2, [9, 1]);
    expect(Array.from(l.rels.get(0)!)).toEqual([5]);
    expect(Array.from(l.negs.get(0)!)).toEqual([2]);
    expect(Array.from(l.rels.get(1)!)).toEqual([3]);
    expect(Array.from(l.negs.get(1)!)).toEqual([4, 6]);
    expect(() => labelsFromRanking(ids, 3, 4)).toThrow(/ranking: expected rows x k ids \(3 x 4\)/);
  });
});
