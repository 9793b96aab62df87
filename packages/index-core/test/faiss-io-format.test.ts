import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  IndexFlat, IndexIVF, IndexIVFPQ, IndexPreTransform, LibvqError, OPQMatrix, deserializeIndex, indexFactory, readIndexSync, serializeIndex, writeIndexSync, type Index,
} from '../src/index.js';
import { packCodes, packedCodeSize, unpackCodes } from '../src/io/pq-codes.js';
import { sliceRows } from '../src/util.js';
import { FaissWriter, concatChunks } from '../src/io/faiss-writer.js';
import { indexDigest } from '../src/io/index-digest.js';
import { verifyReadsBack } from '../src/io/write-index.js';
import { deserializeDigestingLists } from '../src/io/read-index.js';
import { structuredData } from './helpers/data.js';

/*
 * The faiss file format without faiss: hand-computed byte layouts, PQ bit packing, round trips of every
 * supported index, and every way a file can be bad. (Interop with faiss itself: faiss-io.test.ts.)
 */

const D = 16;
const xb = structuredData(600, D, 5);
const xq = structuredData(20, D, 6);
const dir = mkdtempSync(join(tmpdir(), 'libvq-faiss-format-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function build(factory: string, metric: 'ip' | 'l2', n = xb.rows, seed = 1): Index {
  const index = indexFactory(D, factory, metric);
  if (index instanceof IndexPreTransform) for (const t of index.chain) if (t instanceof OPQMatrix) t.niter = 4;
  index.trainSync(xb, { seed });
  index.addSync(sliceRows(xb, 0, n));
  return index;
}

/** The LibvqError thrown by fn (fails the test when fn does not throw one). */
function errorOf(fn: () => unknown): LibvqError {
  try {
    fn();
  } catch (e) {
    if (e instanceof LibvqError) return e;
    throw new Error(`expected a LibvqError, got ${String(e)}`);
  }
  throw new Error('expected an error, none was thrown');
}

function patchU64(bytes: Uint8Array, at: number, v: bigint): Uint8Array {
  const b = bytes.slice();
  new DataView(b.buffer).setBigUint64(at, v, true);
  return b;
}

function patchI32(bytes: Uint8Array, at: number, v: number): Uint8Array {
  const b = bytes.slice();
  new DataView(b.buffer).setInt32(at, v, true);
  return b;
}

describe('faiss format layout', () => {
  it('IndexFlatL2 bytes match a hand-written file', () => {
    const index = new IndexFlat(2, 'l2');
    index.addSync({ rows: 2, dim: 2, data: new Float32Array([1, 2, 3, 4]) });
    const expected: number[] = [];
    const u = (v: number, n: number) => {
      for (let i = 0; i < n; i++) expected.push(Number((BigInt(v) >> BigInt(8 * i)) & 0xffn));
    };
    for (const ch of 'IxF2') expected.push(ch.charCodeAt(0));
    u(2, 4); // d
    u(2, 8); // ntotal
    u(1 << 20, 8); // unused header fields, as faiss writes them
    u(1 << 20, 8);
    u(1, 1); // is_trained
    u(1, 4); // METRIC_L2
    u(4, 8); // vector size in floats
    for (const f of [1, 2, 3, 4]) expected.push(...new Uint8Array(new Float32Array([f]).buffer));
    expect(Array.from(serializeIndex(index))).toEqual(expected);
  });

  it('PQ codes are packed LSB first like faiss (hand-computed)', () => {
    expect(Array.from(packCodes(new Uint8Array([1, 2, 3]), 1, 3, 4))).toEqual([0x21, 0x03]);
    // 5 = 101b at bits 0-2, 6 = 110b at bits 3-5, 7 = 111b at bits 6-8
    expect(Array.from(packCodes(new Uint8Array([5, 6, 7]), 1, 3, 3))).toEqual([0xf5, 0x01]);
    expect(Array.from(unpackCodes(new Uint8Array([0xf5, 0x01]), 1, 3, 3))).toEqual([5, 6, 7]);
    expect(packedCodeSize(20, 8)).toBe(20);
    expect(packedCodeSize(7, 5)).toBe(5);
  });

  it('pack/unpack round-trips every nbits', () => {
    for (let nbits = 1; nbits <= 8; nbits++) {
      const M = 7;
      const n = 13;
      const codes = new Uint8Array(n * M);
      for (let i = 0; i < codes.length; i++) codes[i] = (i * 37 + nbits) % (1 << nbits);
      const packed = packCodes(codes, n, M, nbits);
      expect(packed.length).toBe(n * Math.ceil((M * nbits) / 8));
      expect(Array.from(unpackCodes(packed, n, M, nbits))).toEqual(Array.from(codes));
    }
  });
});

describe('round trips', () => {
  const cases: [string, 'ip' | 'l2'][] = [
    ['Flat', 'l2'],
    ['PQ4x6', 'ip'],
    ['IVF8,Flat', 'ip'],
    ['IVF8,PQ8x3', 'l2'],
    ['OPQ4,IVF8,PQ4x8', 'ip'],
    ['OPQ8,PQ8x5', 'l2'],
  ];
  for (const [factory, metric] of cases) {
    it(`${factory} ${metric}: bytes → index → bytes is the identity and search is unchanged`, () => {
      const index = build(factory, metric);
      const ivf = index instanceof IndexPreTransform ? index.index : index;
      if (ivf instanceof IndexIVF) ivf.nprobe = 3;
      const bytes = serializeIndex(index);
      const back = deserializeIndex(bytes);
      expect(Buffer.compare(Buffer.from(serializeIndex(back)), Buffer.from(bytes))).toBe(0);
      const a = index.searchSync(xq, { k: 7, nprobe: 3 });
      const b = back.searchSync(xq, { k: 7 }); // nprobe comes from the file
      expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
      expect(Array.from(b.distances)).toEqual(Array.from(a.distances));
      expect(Array.from(back.reconstruct(5))).toEqual(Array.from(index.reconstruct(5)));
    });
  }

  it('an untrained index round-trips as untrained', () => {
    const index = new IndexIVFPQ(D, 8, 4, 8, 'l2');
    const back = deserializeIndex(serializeIndex(index));
    expect(back).toBeInstanceOf(IndexIVFPQ);
    expect(back.isTrained).toBe(false);
    expect(back.ntotal).toBe(0);
    back.trainSync(xb, { seed: 1 });
    expect(back.isTrained).toBe(true);
  });

  it('writeIndex goes through a temporary name, leaves no temp file, and the same seed gives the same bytes', () => {
    const p1 = join(dir, 'a.faiss');
    const p2 = join(dir, 'b.faiss');
    writeIndexSync(build('OPQ4,IVF8,PQ4x4', 'ip', 300, 9), p1);
    writeIndexSync(build('OPQ4,IVF8,PQ4x4', 'ip', 300, 9), p2);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const a = readIndexSync(p1);
    expect(serializeIndex(a)).toEqual(serializeIndex(readIndexSync(p2)));
    // Writing over an existing file replaces it whole.
    writeIndexSync(build('Flat', 'ip', 3), p1);
    expect(readIndexSync(p1).ntotal).toBe(3);
    const err = errorOf(() => writeIndexSync(a, join(dir, 'missing-dir', 'x.faiss')));
    expect(err.code).toBe('IO');
    expect(existsSync(join(dir, 'missing-dir'))).toBe(false);
  });
});

describe('bad files', () => {
  // PQ8x4 over d = 16: header 0-36, pq.d 37, M 45, nbits 53, centroid count 61, centroids 69-1092,
  // code count 1093, codes 1101...
  const pqBytes = serializeIndex(build('PQ8x4', 'l2', 50));
  const small = serializeIndex(build('OPQ4,IVF8,PQ4x4', 'ip', 6));

  it('a file cut anywhere is reported as truncated at that byte, naming the field', () => {
    for (const bytes of [small, pqBytes]) {
      for (let cut = 0; cut < bytes.length; cut += cut < 400 ? 1 : 7) {
        const err = errorOf(() => deserializeIndex(bytes.subarray(0, cut), { name: 'x.faiss' }));
        expect(err.code).toBe('BAD_FILE');
        expect(err.message).toMatch(new RegExp(`^x\\.faiss: truncated at byte ${cut} while reading \\S`));
      }
    }
    expect(errorOf(() => deserializeIndex(small.subarray(0, 40))).message).toContain(
      'truncated at byte 40 while reading index.chain length (4 bytes needed at byte 37)',
    );
    expect(errorOf(() => deserializeIndex(small.subarray(0, 1135))).message).toContain('while reading index.index.nlist (8 bytes needed at byte 1132)');
  });

  it('trailing bytes are rejected', () => {
    const b = new Uint8Array(pqBytes.length + 3);
    b.set(pqBytes);
    const err = errorOf(() => deserializeIndex(b));
    expect(err.code).toBe('BAD_FILE');
    expect(err.message).toContain(`3 unexpected trailing bytes after the index, from byte ${pqBytes.length}`);
  });

  it('an unknown fourcc is named and the supported ones listed, also nested', () => {
    const b = pqBytes.slice();
    b.set([0x49, 0x78, 0x5a, 0x01]); // "IxZ\x01"
    const err = errorOf(() => deserializeIndex(b));
    expect(err.code).toBe('BAD_FILE');
    expect(err.message).toContain('"IxZ\\x01"');
    for (const tag of ['IxFI', 'IxF2', 'IxPq', 'IwFl', 'IwPQ', 'IxPT']) expect(err.message).toContain(tag);
    // The IVF quantizer of the OPQ file starts after IxPT header (37) + chain length (4) + LTra
    // (4 + 1 + 8 + 256·4 + 8 + 4 + 4 + 1) + IwPQ header (37) + nlist (8) + nprobe (8).
    const q = 37 + 4 + (4 + 1 + 8 + 1024 + 8 + 4 + 4 + 1) + 37 + 16;
    expect(String.fromCharCode(...small.subarray(q, q + 4))).toBe('IxFI');
    const c = small.slice();
    c.set([0x48, 0x48, 0x48, 0x48], q);
    expect(errorOf(() => deserializeIndex(c)).message).toContain(`index.index.quantizer (byte ${q}): coarse quantizer "HHHH"`);
    // An IVF as the quantizer of an IVF is refused before it is parsed (no unbounded recursion).
    c.set([0x49, 0x77, 0x46, 0x6c], q); // "IwFl"
    const err2 = errorOf(() => deserializeIndex(c));
    expect([err2.code, err2.message]).toEqual(['UNSUPPORTED', expect.stringContaining('only flat quantizers')]);
  });

  it('absurd size fields fail fast without allocating', () => {
    for (const [at, field] of [
      [1093, 'index.codes'],
      [61, 'index.pq.centroids'],
    ] as const) {
      const err = errorOf(() => deserializeIndex(patchU64(pqBytes, at, 1n << 60n)));
      expect(err.code).toBe('BAD_FILE');
      expect(err.message).toContain(`while reading ${field}: its size field at byte ${at} declares ${1n << 60n}`);
    }
    // ntotal that disagrees with the stored codes
    expect(errorOf(() => deserializeIndex(patchU64(pqBytes, 8, 51n))).message).toContain('expected ntotal × code_size = 51 × 4 bytes, got 200');
    // nlist beyond any sane bound
    expect(errorOf(() => deserializeIndex(patchU64(small, 37 + 4 + 1054 + 37, 1n << 40n))).message).toContain('index.index.nlist');
  });

  it('wrong nbits, M or d are rejected with the field named', () => {
    let err = errorOf(() => deserializeIndex(patchU64(pqBytes, 53, 0n)));
    expect([err.code, err.message]).toEqual(['BAD_FILE', expect.stringContaining('index.pq.nbits (byte 53): expected 1 to 24 bits per code, got 0')]);
    err = errorOf(() => deserializeIndex(patchU64(pqBytes, 53, 12n)));
    expect([err.code, err.message]).toEqual(['UNSUPPORTED', expect.stringContaining('nbits = 12: libvq supports 1 to 8')]);
    err = errorOf(() => deserializeIndex(patchU64(pqBytes, 53, 8n)));
    expect([err.code, err.message]).toEqual(['BAD_FILE', expect.stringContaining('expected M × 2^nbits × dsub = 8 × 256 × 2 floats, got 256')]);
    err = errorOf(() => deserializeIndex(patchU64(pqBytes, 45, 5n)));
    expect(err.message).toContain('index.pq.M (byte 45): expected a divisor of d = 16, got 5');
    err = errorOf(() => deserializeIndex(patchI32(pqBytes, 4, -3)));
    expect(err.message).toContain('index.d (byte 4): expected a dimension from 1 to');
    err = errorOf(() => deserializeIndex(patchU64(pqBytes, 37, 15n)));
    expect(err.message).toContain('the product quantizer has d = 15, the index 16');
  });

  it('bad metric, boolean, NaN and list sizes are rejected', () => {
    let err = errorOf(() => deserializeIndex(patchI32(pqBytes, 33, 2)));
    expect([err.code, err.message]).toEqual(['UNSUPPORTED', expect.stringContaining('faiss metric 2')]);
    err = errorOf(() => deserializeIndex(patchI32(pqBytes, 33, -7)));
    expect(err.message).toContain('index.metric_type (byte 33): expected a faiss metric code, got -7');
    const t = pqBytes.slice();
    t[32] = 2;
    expect(errorOf(() => deserializeIndex(t)).message).toContain('index.is_trained (byte 32): expected a boolean byte 0 or 1, got 2');
    const nan = pqBytes.slice();
    new DataView(nan.buffer).setFloat32(69 + 4 * 10, Number.NaN, true);
    expect(errorOf(() => deserializeIndex(nan)).message).toContain(`index.pq.centroids (byte ${69 + 40}): value 10 is NaN`);
    // A list size larger than the file: the IVF lists' sizes are checked before any list is read.
    const flat = serializeIndex(build('IVF4,Flat', 'l2', 200));
    const at = Buffer.from(flat).indexOf('full') + 4 + 8;
    const err2 = errorOf(() => deserializeIndex(patchU64(flat, at, 0x7fffffffn)));
    expect(err2.message).toMatch(/while reading index\.invlists: the list sizes declare \d+ entries × 72 bytes/);
    const bad = flat.slice();
    bad.set([0x78, 0x78, 0x78, 0x78], at - 12);
    expect(errorOf(() => deserializeIndex(bad)).message).toContain('expected "full" or "sprs", got "xxxx"');
  });

  it('a missing file is an IO error naming the path', () => {
    const p = join(dir, 'nope.faiss');
    const err = errorOf(() => readIndexSync(p));
    expect(err.code).toBe('IO');
    expect(err.message).toContain(p);
  });

  it('an index type with no faiss equivalent cannot be written', () => {
    const fake = { d: 4, metric: 'l2', ntotal: 0, isTrained: true } as unknown as Index;
    const err = errorOf(() => serializeIndex(fake));
    expect(err.code).toBe('UNSUPPORTED');
    expect(err.message).toContain('cannot be written to a faiss file');
  });
});

describe('writer self-checks (the nlist ≥ 509 corruption)', () => {
  it('scalars that cross the 4 KiB staging buffer land where they belong', () => {
    const w = new FaissWriter();
    const expected: number[] = [];
    // Odd widths so every scalar kind straddles a stage boundary somewhere.
    for (let i = 0; i < 3000; i++) {
      w.u8(i & 0xff);
      w.i32(-i);
      w.int64(i * 1_000_003);
      w.fourcc('ilar');
      expected.push(i);
    }
    const bytes = concatChunks(w.finish());
    expect(bytes.length).toBe(3000 * 17);
    const v = new DataView(bytes.buffer);
    for (const i of expected) {
      const at = i * 17;
      expect(v.getUint8(at)).toBe(i & 0xff);
      expect(v.getInt32(at + 1, true)).toBe(-i | 0);
      expect(Number(v.getBigInt64(at + 5, true))).toBe(i * 1_000_003);
      expect(String.fromCharCode(...bytes.subarray(at + 13, at + 17))).toBe('ilar');
    }
  });

  it('IVF1024 with full and sparse lists round-trips (the size table crosses the stage many times)', () => {
    const x = structuredData(3000, 8, 9);
    for (const n of [3000, 40]) {
      const index = indexFactory(8, 'IVF1024,Flat', 'ip');
      index.trainSync(x, { seed: 2 });
      index.addSync(sliceRows(x, 0, n));
      const back = deserializeIndex(serializeIndex(index));
      expect(indexDigest(back)).toBe(indexDigest(index));
      expect(back.ntotal).toBe(n);
    }
  });

  it('bytes that do not read back as the index are refused with an INTERNAL error, never returned', () => {
    const index = build('IVF16,PQ8x8', 'l2');
    const bytes = serializeIndex(index);
    expect(() => verifyReadsBack(index, bytes, 'ok')).not.toThrow();
    const cut = bytes.slice(0, bytes.length - 3);
    expect(() => verifyReadsBack(index, cut, 'cut')).toThrow(/cut: self-check failed, the bytes just written do not read back .*truncated/);
    // A flipped bit in the last id still parses, as a different index.
    const flipped = bytes.slice();
    flipped[flipped.length - 8] ^= 1;
    const err = (() => {
      try {
        verifyReadsBack(index, flipped, 'flipped');
      } catch (e) {
        return e as LibvqError;
      }
      return null;
    })();
    expect(err?.code).toBe('INTERNAL');
    expect(err?.message).toMatch(/flipped: self-check failed, the bytes just written read back as a different index/);
  });

  it('the self-check digests the lists as it reads them, keeping none: the digest of a full read, and a changed code byte fails it', () => {
    for (const desc of ['IVF16,Flat', 'IVF16,PQ8x8', 'IVF16,PQ8x4fs', 'IVF16,PQ8x4fsr', 'OPQ8,IVF16,PQ8x4fs']) {
      const index = build(desc, 'l2');
      const bytes = serializeIndex(index);
      const read = deserializeDigestingLists(bytes);
      expect(read.index.ntotal, desc).toBe(0);
      expect(indexDigest(read.index, read.lists), desc).toBe(indexDigest(deserializeIndex(bytes)));
      expect(indexDigest(read.index, read.lists), desc).toBe(indexDigest(index));
      // One code byte of one list, found in the file by its list's stored bytes.
      const ivf = (index instanceof IndexPreTransform ? index.index : index) as IndexIVF;
      const l = ivf.invlists.sizes.findIndex((n) => n > 0);
      const at = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(Buffer.from(ivf.invlists.codes[l].subarray(0, 16)));
      expect(at, desc).toBeGreaterThan(0);
      const changed = bytes.slice();
      changed[at] ^= desc.includes('Flat') ? 0x10 : 0x01;
      expect(() => verifyReadsBack(index, changed, 'changed'), desc).toThrow(/changed: self-check failed, the bytes just written read back as a different index/);
    }
  });

  it('the digest sees every stored field: one code byte, one id, nprobe', () => {
    const index = build('IVF16,PQ8x8', 'l2') as IndexIVFPQ;
    const base = indexDigest(index);
    const l = index.invlists.sizes.findIndex((s) => s > 0);
    index.invlists.codes[l][0] ^= 1;
    expect(indexDigest(index)).not.toBe(base);
    index.invlists.codes[l][0] ^= 1;
    index.invlists.ids[l][0] += 1;
    expect(indexDigest(index)).not.toBe(base);
    index.invlists.ids[l][0] -= 1;
    expect(indexDigest(index)).toBe(base);
    index.nprobe = 7;
    expect(indexDigest(index)).not.toBe(base);
  });
});
