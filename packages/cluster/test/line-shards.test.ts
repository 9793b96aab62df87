import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planLineShards } from '../src/line-shards.js';

/* The byte ranges of line shards against the oracle of splitting the file's text: each range holds exactly its lines. */
const dir = mkdtempSync(join(tmpdir(), 'libvq-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('planLineShards', () => {
  it.each([
    ['trailing newline', 'a\tx\nb\ty\nc\tz\nd\tw\n', 2],
    ['no trailing newline', 'a\tx\nb\ty\nc\tz\nd\tw\ne\tv', 2],
    ['multi-byte text, shards of 3', 'α\tü\nβ\tö\n\nγ\t漢\nδ\tx\n', 3],
    ['one shard', 'a\tx\n', 5],
  ])('%s: every shard reads exactly its lines', async (_name, text, per) => {
    const p = join(dir, 'c.tsv');
    writeFileSync(p, text);
    const shards = await planLineShards(p, per);
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    expect(shards.at(-1)!.endLine).toBe(all.length);
    const bytes = readFileSync(p);
    for (const s of shards) {
      const lines = bytes.subarray(s.byteStart, s.byteEnd).toString('utf8').split('\n');
      if (lines.at(-1) === '') lines.pop();
      expect(lines).toEqual(all.slice(s.firstLine, s.endLine));
    }
  });

  it('an empty file has no shards', async () => {
    const p = join(dir, 'empty.tsv');
    writeFileSync(p, '');
    expect(await planLineShards(p, 10)).toEqual([]);
  });
});
