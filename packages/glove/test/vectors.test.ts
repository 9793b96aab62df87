import { readFileSync, statSync, truncateSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LibvqError } from '@libvq/index-core';
import { exactInnerProductTopK, gloveAnnSet } from '../src/ann.js';
import { loadGloveVectors } from '../src/index.js';
import { gloveWordIndex } from '../src/vectors/load-vectors.js';
import { readWinkJson } from '../src/vectors/read-wink-json.js';
import { crc32, crc32Js } from '../src/vectors/crc32.js';
import {
  HAND_WORDS,
  handWrittenJson,
  naiveTopK,
  parseWithJsonParse,
  syntheticWinkJson,
  tempDir,
  writeText,
} from './vectors-fixtures.js';

/** Element-wise identity (tells -0 from 0, unlike toEqual on typed arrays). */
/**
 * Scores from the knn kernel (float32 SIMD sums) against a float64 oracle rounded to float32: equal within a
 * few float32 ulps of the magnitude (d ≤ 100 terms).
 */
function expectCloseScores(got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Object.is(got[i], want[i])) continue;
    if (!(Math.abs(got[i] - want[i]) <= 4e-7 * Math.max(1, Math.abs(want[i])))) expect.fail(`score ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

function expectSameFloats(got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) expect.fail(`element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

async function expectBadFile(p: Promise<unknown>, ...fragments: string[]): Promise<LibvqError> {
  const err = await p.then(
    () => expect.fail('expected a LibvqError'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LibvqError);
  const e = err as LibvqError;
  expect(e.code).toBe('BAD_FILE');
  for (const f of fragments) expect(e.message).toContain(f);
  return e;
}

describe('crc32', () => {
  it('gives the standard check value and the JS fallback agrees with zlib', () => {
    const check = new TextEncoder().encode('123456789');
    expect(crc32(check)).toBe(0xcbf43926);
    expect(crc32Js(check)).toBe(0xcbf43926);
    const bytes = new Uint8Array(10_007);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    expect(crc32Js(bytes)).toBe(zlib.crc32(bytes));
    // Chaining: the CRC of a whole equals the CRC continued over its parts.
    expect(crc32Js(bytes.subarray(5000), crc32Js(bytes.subarray(0, 5000)))).toBe(crc32(bytes));
  });
});

describe('readWinkJson (streaming scanner)', () => {
  const dir = tempDir();
  const text = handWrittenJson();
  const file = writeText(dir, 'hand.json', text);
  const want = parseWithJsonParse(text);

  it('reads the hand-written file exactly as JSON.parse does, with any chunk size', async () => {
    expect(want.words).toEqual(HAND_WORDS); // the fixture itself decodes as intended
    for (const chunkSize of [1, 2, 3, 7, 64, 1 << 22]) {
      const got = await readWinkJson(file, { chunkSize });
      expect(got.words).toEqual(want.words);
      expect(got.rows).toBe(HAND_WORDS.length);
      expect(got.dim).toBe(3);
      expectSameFloats(got.data, want.data);
    }
  });

  it('reports progress in bytes and stops on abort', async () => {
    const seen: number[] = [];
    await readWinkJson(file, { chunkSize: 100, onProgress: (d, t) => seen.push(d, t) });
    const size = statSync(file).size;
    expect(seen.at(-2)).toBe(size);
    expect(seen.at(-1)).toBe(size);
    const ac = new AbortController();
    ac.abort();
    await expect(readWinkJson(file, { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('rejects every truncation of the file with a BAD_FILE error naming it', async () => {
    const bytes = readFileSync(file);
    // The last bytes are '}' and '\n': every shorter prefix that cuts before the closing brace is incomplete.
    const closing = bytes.lastIndexOf(0x7d);
    const cut = join(dir, 'cut.json');
    for (let n = 0; n <= closing; n++) {
      writeFileSync(cut, bytes.subarray(0, n));
      await expectBadFile(readWinkJson(cut, { chunkSize: 5 }), cut);
    }
  });

  const bad: [string, (t: string) => string, string][] = [
    ['a leading zero', (t) => t.replace('[ 0.1 ,', '[ 01 ,'), "expected ','"],
    ['a bare minus', (t) => t.replace('[ 0.1 ,', '[ - ,'), 'expected a number'],
    ['a dot without digits', (t) => t.replace('[ 0.1 ,', '[ 1. ,'), "a digit after '.'"],
    ['an invalid escape', (t) => t.replace('"a\\/b"', '"a\\qb"'), "invalid escape '\\q'"],
    ['a short \\u escape', (t) => t.replace('caf\\u00e9', 'caf\\u00g9'), 'four hex digits'],
    ['a raw newline in a word', (t) => t.replace('"tab\\there"', '"tab\nthere"'), 'control character'],
    ['a vector with too few values', (t) => t.replace('[ 0.1 , -0.25 , 3,', '[ 0.1 , -0.25 ,'), 'vector of "the"'],
    ['a wrong stored norm', (t) => t.replace('0.1 , -0.25 , 3', '0.1 , -0.25 , 4'), 'stored l2 norm'],
    ['a word list that disagrees with the keys', (t) => t.replace(', "naïve"]', ', "naive"]'), 'words[7]'],
    ['a duplicate wordIndex', (t) => t.replace(/,\s*1 \]/, ', 0 ]'), 'already taken'],
    ['an out-of-range wordIndex', (t) => t.replace(/,\s*1 \]/, ', 8 ]'), 'wordIndex 8'],
    ['vectors before the size', (t) => t.replace('"size": 8,', '').replace('"unkVector"', '"size": 8, "unkVector"'), 'header field "size"'],
    ['a missing vector', (t) => t.replace('"size": 8', '"size": 9'), 'no vector has wordIndex 8'],
    ['trailing data', (t) => `${t} x`, 'after the end'],
    ['an array at the top', () => '[1]', "expected '{'"],
  ];
  for (const [name, edit, fragment] of bad) {
    it(`rejects ${name}`, async () => {
      const edited = edit(text);
      expect(edited).not.toBe(text);
      const f = writeText(dir, 'bad.json', edited);
      await expectBadFile(readWinkJson(f, { chunkSize: 16 }), f, fragment);
    });
  }
});

describe('loadGloveVectors (binary cache)', () => {
  it('builds the cache once, reads it back identically, and rebuilds when the source changes', async () => {
    const dir = tempDir();
    const source = writeText(dir, 'hand.json', handWrittenJson());
    const cacheDir = join(dir, 'cache');
    const cacheFile = join(cacheDir, 'hand.vectors.bin');
    let parses = 0;
    const onProgress = (): void => void parses++;
    const first = await loadGloveVectors({ sourcePath: source, cacheDir, onProgress });
    expect(parses).toBeGreaterThan(0);
    expect(existsSync(cacheFile)).toBe(true);
    const want = parseWithJsonParse(handWrittenJson());
    expect(first.words).toEqual(want.words);
    expectSameFloats(first.vectors.data, want.data);

    parses = 0;
    const second = await loadGloveVectors({ sourcePath: source, cacheDir, onProgress });
    expect(parses).toBe(0); // served from the cache
    expect(second.words).toEqual(want.words);
    expectSameFloats(second.vectors.data, want.data);
    expect(second.vectors.data).not.toBe(first.vectors.data); // fresh arrays every call
    expect(gloveWordIndex(second.words).get('café')).toBe(3);

    // A touched source makes the cache stale: rebuilt, not an error.
    const t = statSync(source).mtime;
    utimesSync(source, t, new Date(t.getTime() + 5000));
    await loadGloveVectors({ sourcePath: source, cacheDir, onProgress });
    expect(parses).toBeGreaterThan(0);
  });

  it('uses $LIBVQ_CACHE_DIR when no cacheDir is given', async () => {
    const dir = tempDir();
    const source = writeText(dir, 'envtest.json', handWrittenJson());
    const old = process.env.LIBVQ_CACHE_DIR;
    process.env.LIBVQ_CACHE_DIR = join(dir, 'env-cache');
    try {
      await loadGloveVectors({ sourcePath: source });
    } finally {
      if (old === undefined) delete process.env.LIBVQ_CACHE_DIR;
      else process.env.LIBVQ_CACHE_DIR = old;
    }
    expect(existsSync(join(dir, 'env-cache', 'envtest.vectors.bin'))).toBe(true);
  });

  describe('detects a damaged cache', () => {
    async function freshCache(): Promise<{ source: string; cacheDir: string; file: string }> {
      const dir = tempDir();
      const source = writeText(dir, 'hand.json', handWrittenJson());
      const cacheDir = join(dir, 'cache');
      await loadGloveVectors({ sourcePath: source, cacheDir });
      return { source, cacheDir, file: join(cacheDir, 'hand.vectors.bin') };
    }
    function flip(file: string, at: number): void {
      const b = readFileSync(file);
      b[at] ^= 0x10;
      writeFileSync(file, b);
    }

    it('a flipped bit in the float rows', async () => {
      const c = await freshCache();
      flip(c.file, 64 + 5);
      await expectBadFile(loadGloveVectors({ sourcePath: c.source, cacheDir: c.cacheDir }), c.file, 'float rows', 'Delete the file');
    });

    it('a flipped bit in the word list', async () => {
      const c = await freshCache();
      flip(c.file, statSync(c.file).size - 2);
      await expectBadFile(loadGloveVectors({ sourcePath: c.source, cacheDir: c.cacheDir }), c.file, 'word list');
    });

    it('a flipped bit in the header', async () => {
      const c = await freshCache();
      flip(c.file, 13); // the row count
      await expectBadFile(loadGloveVectors({ sourcePath: c.source, cacheDir: c.cacheDir }), c.file, 'header checksum');
    });

    it('a wrong magic', async () => {
      const c = await freshCache();
      flip(c.file, 0);
      await expectBadFile(loadGloveVectors({ sourcePath: c.source, cacheDir: c.cacheDir }), c.file, 'magic');
    });

    it('a truncated file, at any length', async () => {
      const c = await freshCache();
      const size = statSync(c.file).size;
      for (const n of [0, 10, 63, 64, 100, size - 1]) {
        const c2 = await freshCache();
        truncateSync(c2.file, n);
        await expectBadFile(loadGloveVectors({ sourcePath: c2.source, cacheDir: c2.cacheDir }), c2.file);
      }
      expect(size).toBeGreaterThan(100);
    });

    it('an older format version is stale and rebuilt, not an error', async () => {
      const c = await freshCache();
      const b = readFileSync(c.file);
      b.writeUInt32LE(0, 8);
      b.writeUInt32LE(zlib.crc32(b.subarray(0, 60)), 60); // a consistent header of another version
      writeFileSync(c.file, b);
      const got = await loadGloveVectors({ sourcePath: c.source, cacheDir: c.cacheDir });
      expect(got.words).toEqual(HAND_WORDS);
      expect(readFileSync(c.file).readUInt32LE(8)).toBe(1);
    });
  });
});

describe('exactInnerProductTopK', () => {
  it('equals a naive float64 ranking, ties to the smaller row, zero rows scoring 0', () => {
    const dim = 13;
    const nb = 700;
    const nq = 37;
    let s = 99;
    const rnd = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const base = new Float32Array(nb * dim).map(rnd);
    // Exact duplicates (ties) and zero rows.
    base.copyWithin(10 * dim, 500 * dim, 501 * dim);
    base.copyWithin(600 * dim, 500 * dim, 501 * dim);
    base.fill(0, 7 * dim, 8 * dim);
    const queries = new Float32Array(nq * dim).map(rnd);
    queries.set(base.subarray(500 * dim, 501 * dim), 3 * dim); // a query equal to a tripled base row
    queries.fill(0, 5 * dim, 6 * dim); // a zero query: every score is 0, ranked by row
    for (const k of [1, 10, 64]) {
      const got = exactInnerProductTopK({ rows: nb, dim, data: base }, { rows: nq, dim, data: queries }, k);
      const want = naiveTopK(base, queries, dim, k);
      expect(Array.from(got.ids)).toEqual(Array.from(want.ids));
      expectCloseScores(got.scores, want.scores);
    }
    const r = exactInnerProductTopK({ rows: nb, dim, data: base }, { rows: nq, dim, data: queries }, 3);
    expect(Array.from(r.ids.subarray(3 * 3, 4 * 3))).toEqual([10, 500, 600]);
    expect(Array.from(r.ids.subarray(5 * 3, 6 * 3))).toEqual([0, 1, 2]);
  });

  it('pads with -1 when k exceeds the base, reports progress, honours abort, checks shapes', () => {
    const base = { rows: 3, dim: 2, data: new Float32Array([1, 0, 0, 1, 1, 1]) };
    const queries = { rows: 70, dim: 2, data: new Float32Array(140).fill(1) };
    const progress: number[] = [];
    const r = exactInnerProductTopK(base, queries, 5, { onProgress: (d) => progress.push(d) });
    expect(Array.from(r.ids.subarray(0, 5))).toEqual([2, 0, 1, -1, -1]);
    expect(Array.from(r.scores.subarray(0, 5))).toEqual([2, 1, 1, -Infinity, -Infinity]);
    expect(progress).toEqual([64, 70]);
    const ac = new AbortController();
    ac.abort();
    expect(() => exactInnerProductTopK(base, queries, 1, { signal: ac.signal })).toThrow(expect.objectContaining({ code: 'ABORTED' }));
    expect(() => exactInnerProductTopK(base, { rows: 1, dim: 3, data: new Float32Array(3) }, 1)).toThrow(LibvqError);
    expect(() => exactInnerProductTopK(base, queries, 0)).toThrow(/k: expected a positive integer/);
  });
});

describe('gloveAnnSet (on a small synthetic source)', () => {
  const rows = 300;
  const dim = 8;
  const zeroRow = 123;
  const dir = tempDir();
  const text = syntheticWinkJson(rows, dim, zeroRow);
  const source = writeText(dir, 'synth.json', text);
  const cacheDir = join(dir, 'cache');
  const opts = { sourcePath: source, cacheDir, numQueries: 20, groundTruthK: 10 };

  it('splits, normalises and ranks like an independent computation', async () => {
    const phases: string[] = [];
    const set = await gloveAnnSet({ ...opts, onProgress: (_d, _t, p) => phases.push(p) });
    expect(phases).toContain('parse');
    expect(phases).toContain('ground-truth');
    expect(set.base.rows).toBe(280);
    expect(set.queries.rows).toBe(20);
    expect(set.groundTruth.length).toBe(200);
    // The queries and the base partition the words; the base keeps the original order.
    const all = [...set.baseWords, ...set.queryWords].sort();
    expect(all).toEqual(Array.from({ length: rows }, (_, i) => `w${i}`).sort());
    const baseRows = set.baseWords.map((w) => Number(w.slice(1)));
    expect(baseRows).toEqual([...baseRows].sort((a, b) => a - b));
    expect(set.queryWords).toEqual(Array.from(set.queryRows, (r) => `w${r}`));

    // Oracle: JSON.parse, normalise in float64, round to float32, naive top-k.
    const raw = parseWithJsonParse(text);
    const unit = (r: number): Float32Array => {
      const v = raw.data.subarray(r * dim, (r + 1) * dim);
      const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
      return n > 0 ? v.map((x) => x / n) : v.slice();
    };
    const wantBase = new Float32Array(280 * dim);
    baseRows.forEach((r, i) => wantBase.set(unit(r), i * dim));
    const wantQueries = new Float32Array(20 * dim);
    set.queryRows.forEach((r, i) => wantQueries.set(unit(r), i * dim));
    for (let i = 0; i < wantBase.length; i++) expect(Math.abs(set.base.data[i] - wantBase[i])).toBeLessThan(1e-6);
    for (let i = 0; i < wantQueries.length; i++) expect(Math.abs(set.queries.data[i] - wantQueries[i])).toBeLessThan(1e-6);
    expect(set.base.data.every((x) => Number.isFinite(x))).toBe(true);
    const want = naiveTopK(set.base.data, set.queries.data, dim, 10);
    expect(Array.from(set.groundTruth)).toEqual(Array.from(want.ids));
    expectCloseScores(set.groundTruthScores, want.scores);
  });

  it('is deterministic per seed and served from the cache the second time', async () => {
    const a = await gloveAnnSet(opts);
    const phases: string[] = [];
    const b = await gloveAnnSet({ ...opts, onProgress: (_d, _t, p) => phases.push(p) });
    expect(phases).toEqual([]); // neither parsed nor searched
    expect(Array.from(b.queryRows)).toEqual(Array.from(a.queryRows));
    expect(Array.from(b.groundTruth)).toEqual(Array.from(a.groundTruth));
    expectSameFloats(b.base.data, a.base.data);
    const c = await gloveAnnSet({ ...opts, seed: 99 });
    expect(Array.from(c.queryRows)).not.toEqual(Array.from(a.queryRows));
    expect(existsSync(join(cacheDir, 'synth.ann-seed99-q20-k10.bin'))).toBe(true);
  });

  it('reports a damaged ground-truth cache and validates its parameters', async () => {
    await gloveAnnSet(opts);
    const file = join(cacheDir, 'synth.ann-seed1234-q20-k10.bin');
    const b = readFileSync(file);
    b[b.length - 3] ^= 1;
    writeFileSync(file, b);
    await expectBadFile(gloveAnnSet(opts), file, 'payload');
    truncateSync(file, 70);
    await expectBadFile(gloveAnnSet(opts), file, 'truncated');
    await expect(gloveAnnSet({ ...opts, numQueries: 300 })).rejects.toThrow(/numQueries: expected an integer in \[1, 299\]/);
    await expect(gloveAnnSet({ ...opts, groundTruthK: 281 })).rejects.toThrow(/groundTruthK/);
    await expect(gloveAnnSet({ ...opts, seed: -1 })).rejects.toThrow(/seed/);
  });
});
