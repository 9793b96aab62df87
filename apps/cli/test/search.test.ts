import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readIndexSync } from '@libvq/index-core';
import { readResults, writeVectors } from '@libvq/dataset';
import { clusteredVectors, libvq } from './index-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'libvq-cli-search-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = 0;
});

const base = clusteredVectors(1200, 16, 11);
const queries = clusteredVectors(30, 16, 12);
const baseNpy = join(root, 'base.npy');
const queriesFvecs = join(root, 'queries.fvecs');
const indexPath = join(root, 'ivfpq.faiss');

beforeAll(async () => {
  await writeVectors(baseNpy, base);
  await writeVectors(queriesFvecs, queries);
  const r = await libvq('build', baseNpy, '--factory', 'IVF16,PQ8x8', '--metric', 'ip', '-o', indexPath);
  expect(r.code).toBe(0);
});

describe('libvq search', () => {
  it('writes the index\'s own top-k for every query, qid = row number, with the search settings as metadata', async () => {
    const out = join(root, 'results.arrow');
    // Small batches: the stitched-together result must equal one search over all queries.
    const r = await libvq('search', '--index', indexPath, '--queries', queriesFvecs, '--k', '20', '--nprobe', '4', '--batch', '7', '-o', out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^30 queries, k = 20, nprobe = 4 on IVF16,PQ8x8 \(ntotal 1200\) in [\d.]+ s/);
    expect(r.err).toMatch(/searching \[#+\] 100% 30\/30/);
    const res = await readResults(out);
    const direct = readIndexSync(indexPath).searchSync(queries, { k: 20, nprobe: 4 });
    expect(res.k).toBe(20);
    expect(Array.from(res.qids as BigInt64Array)).toEqual(Array.from({ length: 30 }, (_, i) => BigInt(i)));
    expect(Array.from(res.labels as BigInt64Array, Number)).toEqual(Array.from(direct.labels));
    expect(Array.from(res.distances)).toEqual(Array.from(direct.distances));
    expect(res.metadata.get('libvq.queries')).toBe(resolve(queriesFvecs));
    expect(res.metadata.get('libvq.metric')).toBe('ip');
    expect(res.metadata.get('libvq.nprobe')).toBe('4');
    expect(res.metadata.get('libvq.factory')).toBe('IVF16,PQ8x8');
  });

  it('takes the qid from an Arrow queries file\'s id column', async () => {
    const arrow = join(root, 'queries.arrow');
    const ids = Array.from({ length: queries.rows }, (_, i) => `q-${100 + i}`);
    await writeVectors(arrow, queries, { ids });
    const out = join(root, 'results-ids.arrow');
    const r = await libvq('search', '--index', indexPath, '--queries', arrow, '--k', '5', '-o', out);
    expect(r.code).toBe(0);
    const res = await readResults(out);
    expect(res.qids).toEqual(ids);
    // Without --nprobe the index's own (faiss's default 1) applies.
    expect(res.metadata.get('libvq.nprobe')).toBe('1');
    expect(Array.from(res.labels as BigInt64Array, Number)).toEqual(Array.from(readIndexSync(indexPath).searchSync(queries, { k: 5, nprobe: 1 }).labels));
  });

  it('a fast-scan index (IVF16,PQ8x4fs): --k-factor re-scores k × n candidates, and is noted as ignored elsewhere', async () => {
    const fsPath = join(root, 'fs.faiss');
    expect((await libvq('build', baseNpy, '--factory', 'IVF16,PQ8x4fs', '--metric', 'ip', '-o', fsPath)).code).toBe(0);
    expect(readFileSync(fsPath).includes('IwPf')).toBe(true); // faiss's IndexIVFPQFastScan fourcc
    const out = join(root, 'results-fs.arrow');
    const r = await libvq('search', '--index', fsPath, '--queries', queriesFvecs, '--k', '10', '--nprobe', '4', '--k-factor', '8', '-o', out);
    expect(r.code).toBe(0);
    const res = await readResults(out);
    const direct = readIndexSync(fsPath).searchSync(queries, { k: 10, nprobe: 4, kFactor: 8 });
    expect(Array.from(res.labels as BigInt64Array, Number)).toEqual(Array.from(direct.labels));
    expect(Array.from(res.distances)).toEqual(Array.from(direct.distances));
    expect(res.metadata.get('libvq.k_factor')).toBe('8');
    expect(res.metadata.get('libvq.factory')).toBe('IVF16,PQ8x4fs');
    const plain = await libvq('search', '--index', indexPath, '--queries', queriesFvecs, '--k', '10', '--k-factor', '8', '-o', join(root, 'results-kf.arrow'));
    expect(plain.code).toBe(0);
    expect(plain.err).toContain('--k-factor is ignored: IVF16,PQ8x8 is not a fast-scan index');
  });

  it('nprobe > nlist is clamped to nlist (as faiss does), with a note', async () => {
    const big = join(root, 'results-big.arrow');
    const all = join(root, 'results-all.arrow');
    const r = await libvq('search', '--index', indexPath, '--queries', queriesFvecs, '--k', '10', '--nprobe', '500', '-o', big);
    expect(r.code).toBe(0);
    expect(r.err).toContain('--nprobe 500 > nlist 16: every list is probed (nprobe clamped to 16, as faiss does)');
    expect((await libvq('search', '--index', indexPath, '--queries', queriesFvecs, '--k', '10', '--nprobe', '16', '-o', all)).code).toBe(0);
    expect(readFileSync(big).equals(readFileSync(all))).toBe(true);
  });

  it('k larger than ntotal is clamped to ntotal with a note (a huge --k costs what k = ntotal costs)', async () => {
    const flat = join(root, 'small.faiss');
    const small = clusteredVectors(5, 16, 3);
    const smallNpy = join(root, 'small.npy');
    await writeVectors(smallNpy, small);
    expect((await libvq('build', smallNpy, '--factory', 'Flat', '-o', flat)).code).toBe(0);
    for (const k of ['8', '100000000', '2147483648']) {
      const out = join(root, `results-clamp-${k}.arrow`);
      const r = await libvq('search', '--index', flat, '--queries', queriesFvecs, '--k', k, '-o', out);
      expect(r.code).toBe(0);
      expect(r.err).toContain(`libvq: note: --k ${k} > ntotal 5: k clamped to 5`);
      expect(r.out).toMatch(/^30 queries, k = 5 on Flat/);
      const res = await readResults(out);
      expect(res.k).toBe(5);
      expect(Array.from(res.labels.subarray(0, 5), Number).sort()).toEqual([0, 1, 2, 3, 4]);
    }
  });

  describe('bad input: one clear line on stderr, non-zero exit, no results written', () => {
    const expectError = async (args: string[], code: number, message: RegExp) => {
      const out = join(root, 'bad.arrow');
      const r = await libvq('search', ...args, '-o', out);
      expect(r.code).toBe(code);
      const lines = r.err.split('\n').filter((l) => l.trim() !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    };

    it('k <= 0', async () => {
      await expectError(['--index', indexPath, '--queries', queriesFvecs, '--k', '0'], 1, /--k must be an integer >= 1, got "0"/);
      await expectError(['--index', indexPath, '--queries', queriesFvecs, '--k', '-3'], 1, /--k must be an integer >= 1, got "-3"/);
      await expectError(['--index', indexPath, '--queries', queriesFvecs, '--nprobe', '0'], 1, /--nprobe must be an integer >= 1, got "0"/);
    });
    it('missing index or queries file', async () => {
      await expectError(['--index', join(root, 'nope.faiss'), '--queries', queriesFvecs], 2, /\[IO\]: .*nope\.faiss: cannot read the index file/);
      await expectError(['--index', indexPath, '--queries', join(root, 'nope.npy')], 2, /\[IO\]: --queries: .*nope\.npy/);
    });
    it('truncated or corrupt index file', async () => {
      const bytes = readFileSync(indexPath);
      const cut = join(root, 'cut.faiss');
      writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
      await expectError(['--index', cut, '--queries', queriesFvecs], 2, /\[BAD_FILE\]: .*cut\.faiss: /);
      const junk = join(root, 'junk.faiss');
      writeFileSync(junk, Buffer.from('this is not a faiss index at all'));
      await expectError(['--index', junk, '--queries', queriesFvecs], 2, /\[BAD_FILE\]: .*junk\.faiss: /);
    });
    it('queries of the wrong dimension', async () => {
      const wrong = join(root, 'wrong.npy');
      await writeVectors(wrong, clusteredVectors(4, 12, 1));
      await expectError(['--index', indexPath, '--queries', wrong], 2, /\[DIMENSION_MISMATCH\]: --queries .*wrong\.npy: vectors have dimension 12, but the index .*ivfpq\.faiss has d = 16/);
    });
  });
});
