import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRng, gatherRows, sampleWithoutReplacement } from '@libvq/index-core/util';
import { describeIndex, indexFactory, readIndexSync, serializeIndex } from '@libvq/index-core';
import { writeVectors } from '@libvq/dataset';
import { clusteredVectors, libvq, writeRawFvecs } from './index-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'libvq-cli-build-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = 0;
});

const base = clusteredVectors(1200, 16, 7);
const npy = join(root, 'base.npy');
beforeAll(async () => {
  await writeVectors(npy, base);
});

describe('libvq build', () => {
  it('writes a readable index, prints factory, ntotal and the file size, and is byte-identical for one seed', async () => {
    const a = join(root, 'a.faiss');
    const b = join(root, 'b.faiss');
    const r = await libvq('build', npy, '--factory', 'IVF16,PQ4x8', '--metric', 'l2', '-o', a, '--seed', '5');
    expect(r.code).toBe(0);
    const size = statSync(a).size;
    expect(r.out).toContain(`IVF16,PQ4x8 (l2, d = 16): ntotal 1200, ${size} bytes`);
    expect(r.out).toContain('trained on 1200');
    // one bar per stage the library reports: the coarse k-means, then the PQ codebooks of the residuals
    expect(r.err).toMatch(/training IVF16 coarse quantizer \[#+\] 100% 10\/10/);
    expect(r.err).toMatch(/training PQ4x8 codebooks \[#+\] 100% 4\/4/);
    expect(r.err).toMatch(/adding \[#+\] 100% 1200\/1200/);
    const index = readIndexSync(a);
    expect(describeIndex(index)).toBe('IVF16,PQ4x8');
    expect(index.ntotal).toBe(1200);
    expect(index.metric).toBe('l2');
    expect((await libvq('build', npy, '--factory', 'IVF16,PQ4x8', '--metric', 'l2', '-o', b, '--seed', '5')).code).toBe(0);
    expect(readFileSync(b).equals(readFileSync(a))).toBe(true);
    // Another seed, another index (the seed reaches k-means).
    expect((await libvq('build', npy, '--factory', 'IVF16,PQ4x8', '--metric', 'l2', '-o', b, '--seed', '6')).code).toBe(0);
    expect(readFileSync(b).equals(readFileSync(a))).toBe(false);
  });

  it('--opq-niter / --opq-train-points reach the OPQ rotation: the bytes of indexFactory with those options; a bar per stage', async () => {
    const out = join(root, 'opq.faiss');
    const r = await libvq('build', npy, '--factory', 'OPQ4,IVF8,PQ4x6', '--opq-niter', '7', '--opq-train-points', '600', '--seed', '3', '-o', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('OPQ4,IVF8,PQ4x6 (ip, d = 16): ntotal 1200'); // ip: the default metric
    // Oracle: the library with the same options, trained on the whole file (the default sample, 65,536 with OPQ, exceeds it).
    const ref = indexFactory(16, 'OPQ4,IVF8,PQ4x6', 'ip', undefined, { opq: { niter: 7, maxTrainPoints: 600 } });
    ref.trainSync(base, { seed: 3 });
    ref.addSync(base);
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(serializeIndex(ref)))).toBe(true);
    // Every stage draws its own bar and ends it: the rotation, the coarse k-means, the PQ sample's assignment to the
    // lists, the codebooks, the adds (none is left at "100% ETA 0.0s" while the next works).
    const stages = [/training OPQ4 rotation \[#+\] 100% 7\/7/, /training IVF8 coarse quantizer \[#+\] 100% 10\/10/,
      /assigning the PQ training sample to the IVF8 lists \[#+\] 100% 1200\/1200/, /training PQ4x6 codebooks \[#+\] 100% 4\/4/, /adding \[#+\] 100% 1200\/1200/];
    let at = 0;
    for (const stage of stages) {
      const m = stage.exec(r.err.slice(at));
      expect(m, `${stage} after byte ${at} of:\n${r.err}`).not.toBeNull();
      at += m!.index + m![0].length;
    }
    const niter50 = join(root, 'opq-50.faiss');
    expect((await libvq('build', npy, '--factory', 'OPQ4,IVF8,PQ4x6', '--seed', '3', '-o', niter50)).code).toBe(0);
    expect(readFileSync(niter50).equals(readFileSync(out))).toBe(false); // the defaults (50, 65,536) give another rotation
  });

  it("--metric cosine builds faiss's L2norm,<factory> with ip, and ranks by cosine", async () => {
    const out = join(root, 'cosine.faiss');
    const r = await libvq('build', npy, '--factory', 'IVF8,Flat', '--metric', 'cosine', '-o', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('L2norm,IVF8,Flat (cosine, d = 16): ntotal 1200');
    const index = readIndexSync(out);
    expect(describeIndex(index)).toBe('L2norm,IVF8,Flat');
    expect(index.metric).toBe('ip');
    const ref = indexFactory(16, 'IVF8,Flat', 'cosine');
    ref.trainSync(base, { seed: 1234 });
    ref.addSync(base);
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(serializeIndex(ref)))).toBe(true);
  });

  it('--train-size trains on a seeded sample and still adds every vector', async () => {
    const a = join(root, 'sample-a.faiss');
    const b = join(root, 'sample-b.faiss');
    const full = join(root, 'sample-full.faiss');
    const r = await libvq('build', npy, '--factory', 'IVF8,Flat', '--train-size', '300', '-o', a);
    expect(r.code).toBe(0);
    expect(r.out).toContain('trained on 300');
    expect(r.out).toContain('ntotal 1200');
    expect((await libvq('build', npy, '--factory', 'IVF8,Flat', '--train-size', '300', '-o', b)).code).toBe(0);
    expect((await libvq('build', npy, '--factory', 'IVF8,Flat', '-o', full)).code).toBe(0);
    expect(readFileSync(b).equals(readFileSync(a))).toBe(true);
    expect(readFileSync(full).equals(readFileSync(a))).toBe(false);
  });

  it('streams: batches of any size build the bytes of one in-memory train + add; the default sample is faiss\'s 256 per centroid', async () => {
    // Oracle: the library on the whole matrix, trained on the same seeded sample the CLI draws.
    const ref = indexFactory(16, 'IVF2,PQ4x4', 'l2');
    const pick = sampleWithoutReplacement(base.rows, 512, createRng(9)).sort();
    ref.trainSync(gatherRows(base, pick), { seed: 9 });
    ref.addSync(base);
    const want = serializeIndex(ref);
    for (const batch of ['7', '100', '5000']) {
      const out = join(root, `stream-${batch}.faiss`);
      // IVF2 → 512 points, PQ4x4 → 256 · 16 = 4096 > 1200: so force the IVF rule with --train-size 512, and check the
      // default below on a factory whose rule is under the file size.
      const r = await libvq('build', npy, '--factory', 'IVF2,PQ4x4', '--metric', 'l2', '--seed', '9', '--train-size', '512', '--batch-rows', batch, '-o', out);
      expect(r.code, r.err).toBe(0);
      expect(Buffer.from(readFileSync(out)).equals(Buffer.from(want))).toBe(true);
    }
    const r = await libvq('build', npy, '--factory', 'IVF2,Flat', '--metric', 'l2', '-o', join(root, 'default-sample.faiss'));
    expect(r.out).toContain('trained on 512 in'); // 256 · nlist
    expect(r.out).toContain('ntotal 1200');
  });

  it('an empty .npy and a --dim that contradicts the file are refused', async () => {
    const empty = join(root, 'empty.npy');
    await writeVectors(empty, { rows: 0, dim: 16, data: new Float32Array(0) });
    const r1 = await libvq('build', empty, '--factory', 'Flat', '-o', join(root, 'empty.faiss'));
    expect(r1.code).toBe(2);
    expect(r1.err).toMatch(/\[INSUFFICIENT_DATA\]: VECTORS .*empty\.npy: the file holds no vectors/);
    expect(existsSync(join(root, 'empty.faiss'))).toBe(false);
    const r2 = await libvq('build', npy, '--factory', 'Flat', '--dim', '8', '-o', join(root, 'dim.faiss'));
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/\[DIMENSION_MISMATCH\]: VECTORS: .*base\.npy: vectors have dimension 16, expected 8/);
  });

  it('reads .fvecs and .arrow vectors too', async () => {
    const fvecs = join(root, 'base.fvecs');
    const arrow = join(root, 'base.arrow');
    await writeVectors(fvecs, base);
    await writeVectors(arrow, base, { ids: Array.from({ length: base.rows }, (_, i) => `doc${i}`) });
    const ref = join(root, 'ref.faiss');
    expect((await libvq('build', npy, '--factory', 'PQ4x4', '-o', ref)).code).toBe(0);
    for (const src of [fvecs, arrow]) {
      const out = join(root, `from-${src.split('.').pop()}.faiss`);
      const r = await libvq('build', src, '--factory', 'PQ4x4', '-o', out);
      expect(r.code).toBe(0);
      expect(readFileSync(out).equals(readFileSync(ref))).toBe(true);
    }
  });

  describe('bad input: one clear line on stderr, non-zero exit, no index written', () => {
    const expectError = async (args: string[], code: number, message: RegExp) => {
      const out = join(root, 'bad.faiss');
      const r = await libvq('build', ...args, '-o', out);
      expect(r.code).toBe(code);
      const lines = r.err.split('\n').filter((l) => l.trim() !== '' && !/\[[#-]+\]/.test(l));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    };

    it('missing file', async () => {
      await expectError([join(root, 'nope.npy'), '--factory', 'Flat'], 2, /libvq: error \[IO\]: VECTORS: .*nope\.npy/);
    });
    it('unknown extension', async () => {
      await expectError([join(root, 'base.csv'), '--factory', 'Flat'], 2, /\[UNSUPPORTED\].*base\.csv: unknown vector file extension ".csv"/);
    });
    it('d not divisible by M', async () => {
      await expectError([npy, '--factory', 'IVF8,PQ5'], 2, /\[INVALID_ARGUMENT\].*d = 16 is not divisible by M = 5/);
      await expectError([npy, '--factory', 'OPQ3,PQ4'], 2, /\[INVALID_ARGUMENT\].*OPQ M: output dimension 16 is not divisible by M = 3/);
    });
    it('nbits > 8', async () => {
      await expectError([npy, '--factory', 'IVF8,PQ4x9'], 2, /\[BAD_FACTORY\].*cannot parse "PQ4x9" in "IVF8,PQ4x9": expected nbits from 1 to 8/);
    });
    it('fewer training points than centroids', async () => {
      await expectError([npy, '--factory', 'IVF2048,Flat'], 2, /\[INSUFFICIENT_DATA\].*1200 training vectors for nlist = 2048 IVF lists; need at least 2048/);
      await expectError([npy, '--factory', 'IVF64,Flat', '--train-size', '50'], 2, /\[INSUFFICIENT_DATA\].*50 training vectors for nlist = 64/);
      await expectError([npy, '--factory', 'IVF4,PQ4x8', '--train-size', '200'], 2, /\[INSUFFICIENT_DATA\]: IVF4,PQ4x8: 200 training vectors for 256 PQ codewords per sub-quantizer \(nbits = 8\); need at least 256/);
      await expectError([npy, '--factory', 'OPQ4,IVF4,PQ4x4', '--train-size', '100'], 2, /100 training vectors for the OPQ rotation/);
      await expectError([npy, '--factory', 'Flat', '--train-size', '5000'], 2, /--train-size: 5000 exceeds the 1200 vectors in .*base\.npy/);
    });
    it('NaN in vectors', async () => {
      const nan = clusteredVectors(40, 16, 3);
      nan.data[17 * 16 + 3] = Number.NaN;
      const path = join(root, 'nan.fvecs');
      writeRawFvecs(path, nan);
      await expectError([path, '--factory', 'Flat'], 2, /\[NON_FINITE\]: .*nan\.fvecs: row 17, component 3 is NaN/);
    });
    it('unknown factory string, or none; LibVQ\'s --method names are not build\'s', async () => {
      await expectError([npy, '--factory', 'IVF16,HNSW32'], 2, /\[BAD_FACTORY\].*cannot parse "HNSW32" in "IVF16,HNSW32"/);
      await expectError([npy], 1, /required option '--factory <spec>' not specified/);
      const r = await libvq('build', npy, '--method', 'ivf_pq', '--factory', 'Flat', '-o', join(root, 'bad.faiss'));
      expect([r.code, r.err]).toEqual([1, expect.stringMatching(/^error: unknown option '--method'/)]);
    });
    it('bad metric, bad OPQ options', async () => {
      await expectError([npy, '--factory', 'Flat', '--metric', 'dot'], 1, /--metric must be "ip" .*, "l2" .* or "cosine", got "dot"/);
      await expectError([npy, '--factory', 'OPQ4,PQ4', '--opq-niter', '0'], 1, /--opq-niter must be an integer >= 1, got "0"/);
      await expectError([npy, '--factory', 'OPQ4,PQ4', '--opq-train-points', 'many'], 1, /--opq-train-points must be an integer >= 1, got "many"/);
    });
  });
});
