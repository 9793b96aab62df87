import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IndexIVFPQ, serializeIndex, writeIndex } from '@libvq/index-core';
import { createRng, gaussian } from '@libvq/index-core/util';
import { writeVectors } from '@libvq/dataset';
import { readShardFile, writeShardFile } from '../src/shard-file.js';
import { runEncodeJob, runMergeJob } from '../src/process-jobs.js';
import { sha256Hex } from '../src/shard-file.js';
import { planShards } from '../src/jobs.js';

/*
 * The files between jobs: a shard reads back as written, and every kind of damage — bytes changed, a truncated file,
 * another shard in its place, a trained index swapped — is refused by name. The jobs, run without a queue, give the
 * bytes of one add() of all rows (the oracle: the index-core index itself).
 */
const dir = mkdtempSync(join(tmpdir(), 'libvq-shards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function vectors(rows: number, dim: number, seed: number) {
  const rng = createRng(seed);
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < data.length; i++) data[i] = gaussian(rng) + (i % dim < 2 ? (Math.floor(i / dim) % 4) * 3 : 0);
  return { rows, dim, data };
}

describe('shard files', () => {
  it('round-trip lists and codes; changed bytes, truncation and a different shard are refused, naming the file', async () => {
    const lists = Int32Array.from({ length: 37 }, (_, i) => (i * 7) % 16);
    const codes = Uint8Array.from({ length: 37 * 5 }, (_, i) => (i * 31) & 255);
    const p = join(dir, 'a.lvqs');
    const info = await writeShardFile(p, { start: 100, rows: 37, lists, codes }, 5);
    expect(info).toMatchObject({ path: p, start: 100, rows: 37 });
    const back = await readShardFile(info, 5);
    expect(back.lists).toEqual(lists);
    expect(back.codes).toEqual(codes);
    expect(back.start).toBe(100);
    await expect(readShardFile(info, 6)).rejects.toThrow(`shard ${p}: codes of 5 bytes, the trained index's are 6`);

    const bytes = readFileSync(p);
    const flipped = Buffer.from(bytes);
    flipped[60] ^= 1;
    writeFileSync(p, flipped);
    await expect(readShardFile(info, 5)).rejects.toThrow(/changed or replaced after the job; it is not merged/);
    // The same damage with the job's checksum of the damaged file: the crc still catches it.
    await expect(readShardFile({ ...info, sha256: sha256Hex(flipped), bytes: flipped.length }, 5)).rejects.toThrow(/crc32 mismatch .*damaged/);
    const cut = bytes.subarray(0, bytes.length - 9);
    writeFileSync(p, cut);
    await expect(readShardFile({ ...info, sha256: sha256Hex(cut), bytes: cut.length }, 5)).rejects.toThrow(/crc32 mismatch|bytes/);
    // A whole, valid shard of other rows in its place.
    const other = await writeShardFile(join(dir, 'b.lvqs'), { start: 137, rows: 37, lists, codes }, 5);
    await expect(readShardFile({ ...other, start: 100 }, 5)).rejects.toThrow(/rows \[137, 174\), expected \[100, 137\)/);
    await expect(readShardFile({ ...info, path: join(dir, 'missing.lvqs') }, 5)).rejects.toThrow(/missing\.lvqs: cannot read it/);
  });

  it('planShards covers [0, rows) in runs of shardRows', () => {
    expect(planShards(10, 4)).toEqual([{ start: 0, end: 4 }, { start: 4, end: 8 }, { start: 8, end: 10 }]);
    expect(planShards(0, 4)).toEqual([]);
  });
});

describe('encode and merge jobs without a queue', () => {
  it('shards encoded in any order and merged give the bytes of one add() of every row; a swapped trained index is refused', async () => {
    const x = vectors(3000, 16, 9);
    const src = join(dir, 'x.npy');
    await writeVectors(src, x);
    const index = new IndexIVFPQ(16, 32, 4, 8, 'l2');
    index.trainSync(x, { seed: 3 });
    const trainedPath = join(dir, 'trained.faiss');
    await writeIndex(index, trainedPath);
    const trained = { path: trainedPath, sha256: sha256Hex(readFileSync(trainedPath)) };
    index.addSync(x);
    const want = serializeIndex(index);

    const shards = planShards(x.rows, 700).map((s, i) => ({ ...s, path: join(dir, `s${i}.lvqs`) }));
    const results = [];
    for (const s of [...shards].reverse()) results.push(await runEncodeJob({ vectors: { path: src }, trained, start: s.start, end: s.end, shardPath: s.path, batchRows: 256 }));
    const out = join(dir, 'merged.faiss');
    const merged = await runMergeJob({ trained, out, shards }, results);
    expect(merged.ntotal).toBe(3000);
    expect(readFileSync(out).equals(Buffer.from(want))).toBe(true);

    await expect(runMergeJob({ trained, out, shards }, results.filter((r) => r.start !== 0))).rejects.toThrow(/no finished encode job reported shard .*s0\.lvqs/);
    await expect(runEncodeJob({ vectors: { path: src }, trained: { ...trained, sha256: '0'.repeat(64) }, start: 0, end: 10, shardPath: join(dir, 'z.lvqs') }))
      .rejects.toThrow(/trained index .*trained\.faiss: sha256 .* every shard must be encoded by the one trained index/);
  });
});
