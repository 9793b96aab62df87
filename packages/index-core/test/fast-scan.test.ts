import { describe, expect, it } from 'vitest';
import {
  IndexIVFPQ, IndexPQ, describeIndex, deserializeIndex, indexFactory, serializeIndex,
  type Index, type Metric, type SearchResult,
} from '../src/index.js';
import { copyBlocks, packBlocks, unpackBlocks } from '../src/fastscan/pack-blocks.js';
// Built by the factory ("PQ<M>x4fs", "IVF<n>,PQ<M>x4fs[r]") and by readIndex; the classes are not main-entry exports.
import { IndexIVFPQFastScan } from '../src/indexes/index-ivf-pq-fast-scan.js';
import { IndexPQFastScan } from '../src/indexes/index-pq-fast-scan.js';
import { indexDigest } from '../src/io/index-digest.js';
import { sliceRows } from '../src/util.js';
import { structuredData } from './helpers/data.js';

/*
 * 4-bit fast-scan (PQ<M>x4fs, IVF<n>,PQ<M>x4fs[r]) against independent oracles: the plain 4-bit ADC scan of
 * IndexPQ / IndexIVFPQ on the very same codes (re-ranked results must equal it exactly; quantized ones must
 * find what it finds up to the uint8 table quantization), and float64 brute force over the decoded vectors for
 * the non-residual IVF variant, which has no 8-bit counterpart. Faiss interop is in faiss-io.test.ts.
 */

const D = 32;
const N = 6000;
const NQ = 60;
const K = 10;
const NPROBE = 6;
const xb = structuredData(N, D, 21);
const xq = structuredData(NQ, D, 22);

function overlap(a: SearchResult, b: SearchResult, k: number): number {
  let hit = 0;
  for (let q = 0; q < a.labels.length / k; q++) {
    const s = new Set(Array.from(b.labels.subarray(q * k, (q + 1) * k)));
    for (let j = 0; j < k; j++) if (s.has(a.labels[q * k + j])) hit++;
  }
  return hit / a.labels.length;
}

/** A fast-scan index and a plain 4-bit one holding the same trained parameters and the same codes. */
function twins(factory: string, metric: Metric): { fs: Index; plain: Index } {
  const fs = indexFactory(D, factory, metric);
  fs.trainSync(xb, { seed: 5 });
  fs.addSync(xb);
  const plain = indexFactory(D, factory.replace(/fsr?$/, ''), metric);
  (plain as IndexPQ | IndexIVFPQ).adoptTrained(fs);
  plain.addEncoded(fs.encode(xb));
  return { fs, plain };
}

describe('fast-scan (4-bit PQ, uint8 tables, WebAssembly SIMD)', () => {
  for (const [factory, metric] of [['PQ8x4fs', 'ip'], ['PQ8x4fs', 'l2'], ['IVF32,PQ8x4fsr', 'ip'], ['IVF32,PQ8x4fsr', 'l2'], ['IVF32,PQ16x4fsr', 'ip']] as const) {
    it(`${factory} ${metric}: re-ranked results equal the plain 4-bit ADC scan; quantized ones find what it finds`, () => {
      const { fs, plain } = twins(factory, metric);
      expect(fs).toBeInstanceOf(factory.startsWith('IVF') ? IndexIVFPQFastScan : IndexPQFastScan);
      expect(plain.constructor).toBe(factory.startsWith('IVF') ? IndexIVFPQ : IndexPQ);
      const ref = plain.searchSync(xq, { k: K, nprobe: NPROBE });
      // k·kFactor covers every probed code: the float re-scoring sees all of them, in ADC's float32 order.
      const all = fs.searchSync(xq, { k: K, nprobe: NPROBE, kFactor: Math.ceil(N / K) });
      expect(Array.from(all.labels)).toEqual(Array.from(ref.labels));
      expect(Array.from(all.distances)).toEqual(Array.from(ref.distances));
      // kFactor 4: the true top 10 are within the top 40 by quantized score nearly always.
      expect(overlap(fs.searchSync(xq, { k: K, nprobe: NPROBE, kFactor: 4 }), ref, K)).toBeGreaterThanOrEqual(0.99);
      // kFactor 1: faiss's quantized scores; the documented cost of the uint8 tables is a few swapped neighbours.
      const q1 = fs.searchSync(xq, { k: K, nprobe: NPROBE });
      expect(overlap(q1, ref, K)).toBeGreaterThanOrEqual(0.9);
      // b + s/a is within M/2 quantization steps of the float score per term: |err| ≤ M·span/255/2 per query.
      let worst = 0;
      for (let i = 0; i < q1.distances.length; i++) worst = Math.max(worst, Math.abs(q1.distances[i] - ref.distances[i]) / (Math.abs(ref.distances[i]) + 1));
      expect(worst).toBeLessThan(0.1);
    });
  }

  for (const metric of ['ip', 'l2'] as const) {
    it(`IVF32,PQ8x4fs ${metric} (faiss's default: codes of the vectors, not residuals) equals float64 ADC over the decoded vectors`, () => {
      const fs = indexFactory(D, 'IVF32,PQ8x4fs', metric) as IndexIVFPQFastScan;
      expect(fs.byResidual).toBe(false);
      fs.trainSync(xb, { seed: 6 });
      fs.addSync(xb);
      const decoded = Array.from({ length: N }, (_, i) => fs.reconstruct(i));
      const probes = fs.probe(xq, NPROBE);
      const listOf = new Int32Array(N);
      for (let l = 0; l < fs.nlist; l++) for (let o = 0; o < fs.invlists.sizes[l]; o++) listOf[fs.invlists.ids[l][o]] = l;
      const r = fs.searchSync(xq, { k: K, nprobe: NPROBE, kFactor: Math.ceil(N / K) });
      for (let q = 0; q < NQ; q++) {
        const probed = new Set(Array.from(probes.lists.subarray(q * NPROBE, (q + 1) * NPROBE)));
        const scored: { id: number; s: number }[] = [];
        for (let i = 0; i < N; i++) {
          if (!probed.has(listOf[i])) continue;
          let s = 0;
          for (let t = 0; t < D; t++) s += metric === 'ip' ? xq.data[q * D + t] * decoded[i][t] : (xq.data[q * D + t] - decoded[i][t]) ** 2;
          scored.push({ id: i, s });
        }
        scored.sort((a, b) => (metric === 'ip' ? b.s - a.s : a.s - b.s));
        for (let j = 0; j < K; j++) {
          expect(Math.abs(r.distances[q * K + j] - scored[j].s)).toBeLessThan(1e-4 * Math.max(1, Math.abs(scored[j].s)));
          // Labels may differ only between scores equal to float32 precision.
          if (r.labels[q * K + j] !== scored[j].id) expect(Math.abs(scored.find((x) => x.id === r.labels[q * K + j])!.s - scored[j].s)).toBeLessThan(1e-4);
        }
      }
    });
  }

  it('block layout: pack and unpack are inverse for any count, odd M pads a zero sub-quantizer', () => {
    for (const [n, M] of [[1, 1], [31, 3], [32, 4], [33, 5], [100, 8]]) {
      const codes = new Uint8Array(n * M).map((_, i) => (i * 7 + 3) % 16);
      const blocks = packBlocks(codes, n, M);
      expect(blocks.length).toBe(Math.ceil(n / 32) * 16 * (M + (M % 2)));
      expect(Array.from(unpackBlocks(blocks, n, M))).toEqual(Array.from(codes));
    }
    // faiss's layout: vector 0 of sub-quantizer 0 in the low nibble of byte 0, vector 16 in its high nibble, vector 8 in byte 1.
    const codes = new Uint8Array(32).map((_, i) => i % 16);
    const b = packBlocks(codes, 32, 1);
    expect([b[0], b[1], b[2]]).toEqual([0 | (0 << 4), 8 | (8 << 4), 1 | (1 << 4)]);
  });

  it("copyBlocks: a file's blocks with garbage in every padding nibble become the first n entries repacked, padding zero", () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255;
    for (const [n, M] of [[1, 1], [5, 2], [31, 3], [32, 4], [33, 5], [64, 7], [100, 8], [95, 50]]) {
      const garbage = new Uint8Array(Math.ceil(n / 32) * 16 * (M + (M % 2)) + 3).map(rnd); // longer than needed, too
      const expected = packBlocks(unpackBlocks(garbage, n, M), n, M);
      const copy = copyBlocks(garbage, n, M);
      expect(copy.buffer).not.toBe(garbage.buffer);
      expect(Array.from(copy)).toEqual(Array.from(expected));
      const fromFile = Buffer.from(garbage); // a file's bytes: the copy must not be a view of them
      const own = copyBlocks(fromFile, n, M);
      fromFile.fill(0);
      expect(Array.from(own)).toEqual(Array.from(expected));
    }
    expect(() => copyBlocks(new Uint8Array(10), 1, 2)).toThrow(/need 32 bytes, got 10/);
  });

  it('factory strings and their inverse; bad fast-scan strings are refused with the reason', () => {
    for (const f of ['PQ8x4fs', 'IVF32,PQ8x4fs', 'IVF32,PQ8x4fsr', 'OPQ8,IVF32,PQ8x4fs', 'L2norm,PQ4x4fs']) expect(describeIndex(indexFactory(D, f))).toBe(f);
    expect(() => indexFactory(D, 'PQ8x8fs')).toThrow(/fast-scan codes of 4 bits/);
    expect(() => indexFactory(D, 'PQ8x4fsr')).toThrow(/without an IVF/);
  });

  it('threads, files, add in batches and remove: the same results as one thread on a freshly built index', async () => {
    const a = indexFactory(D, 'IVF32,PQ8x4fs', 'ip') as IndexIVFPQFastScan;
    a.trainSync(xb, { seed: 7 });
    a.addSync(sliceRows(xb, 0, 2500));
    const before = a.searchSync(xq, { k: K, nprobe: NPROBE });
    a.addSync(sliceRows(xb, 2500, N)); // the block layout must follow the lists
    const one = a.searchSync(xq, { k: K, nprobe: NPROBE });
    expect(overlap(one, before, K)).toBeLessThan(1);
    const two = a.searchSync(xq, { k: K, nprobe: NPROBE, threads: 2 });
    expect(Array.from(two.labels)).toEqual(Array.from(one.labels));
    expect(Array.from(two.distances)).toEqual(Array.from(one.distances));
    const loaded = deserializeIndex(serializeIndex(a));
    expect(indexDigest(loaded)).toBe(indexDigest(a));
    expect(Array.from(loaded.searchSync(xq, { k: K, nprobe: NPROBE }).labels)).toEqual(Array.from(one.labels));
    // remove: the removed ids never come back, the rest is what a fresh index of the kept vectors finds
    const gone = Array.from({ length: 3000 }, (_, i) => 2 * i);
    expect(a.remove(gone)).toBe(3000);
    const after = a.searchSync(xq, { k: K, nprobe: NPROBE });
    for (const l of after.labels) expect(l % 2).toBe(1);
    const fresh = indexFactory(D, 'IVF32,PQ8x4fs', 'ip') as IndexIVFPQFastScan;
    fresh.adoptTrained(a);
    const kept = a.readEntries();
    fresh.addEncoded({ rows: kept.rows, lists: kept.lists, codes: kept.codes }, kept.ids);
    expect(Array.from(fresh.searchSync(xq, { k: K, nprobe: NPROBE }).labels)).toEqual(Array.from(after.labels));
    await a.search(xq, { k: 1, nprobe: 1 }); // the async path serves fast-scan too
  });

  it('flat and IVF on two threads, at k = 10 and at a k larger than a scanner\'s first head: one thread\'s results, and a large k begins with the small k\'s', () => {
    for (const factory of ['PQ8x4fs', 'IVF32,PQ8x4fs']) {
      const a = indexFactory(D, factory, 'l2');
      a.trainSync(xb, { seed: 3 });
      a.addSync(xb);
      for (const k of [10, 2500]) {
        const one = a.searchSync(xq, { k, nprobe: 32 });
        const two = a.searchSync(xq, { k, nprobe: 32, threads: 2 });
        expect(Array.from(two.labels), `${factory} k ${k}`).toEqual(Array.from(one.labels));
        expect(Array.from(two.distances), `${factory} k ${k}`).toEqual(Array.from(one.distances));
        expect(one.labels.every((l) => l >= 0n), `${factory} k ${k}`).toBe(true);
      }
      const small = a.searchSync(xq, { k: 10, nprobe: 32 });
      const large = a.searchSync(xq, { k: 2500, nprobe: 32, threads: 2 });
      for (let q = 0; q < NQ; q++) expect(Array.from(large.labels.subarray(q * 2500, q * 2500 + 10)), `${factory} query ${q}`).toEqual(Array.from(small.labels.subarray(q * 10, q * 10 + 10)));
    }
  });

  it('refuses a code byte that 4 bits cannot hold, and a bad kFactor, naming them', () => {
    const a = indexFactory(D, 'PQ8x4fs', 'ip');
    a.trainSync(xb, { seed: 8 });
    const e = a.encode(sliceRows(xb, 0, 2));
    const bad = e.codes.slice();
    bad[5] = 16;
    expect(() => a.addEncoded({ rows: 2, codes: bad })).toThrow(/code byte 5 is 16; codes of 4 bits must be below 16/);
    a.addEncoded(e);
    expect(() => a.searchSync(xq, { k: 2, kFactor: 0 })).toThrow(/kFactor/);
    expect(() => a.searchSync(xq, { k: 2, kFactor: 1.5 })).toThrow(/kFactor/);
  });
});
