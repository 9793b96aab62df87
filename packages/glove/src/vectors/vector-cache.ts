import { LibvqError, matrix, type Matrix } from '@libvq/index-core';
import { bytesOf, writeFileAtomic } from '@libvq/index-core/util';
import { crc32 } from './crc32.js';
import { HEADER_BYTES, checkCrc, corrupt, makeHeader, openCache, readFully } from './binary-file.js';

/**
 * The binary cache of the word vectors, written once from the JSON and read in well under a second:
 *   header (64 bytes): "LVQGLOVE", u32 version, u32 rows @12, u32 dim @16, u32 CRC-32 of the float
 *     bytes @20, u32 word-section bytes @24, u32 CRC-32 of the word section @28, f64 source file size
 *     @32, f64 source mtime (ms) @40, header CRC-32 @60
 *   rows × dim float32 little-endian (row i = word i)
 *   word section: per word a u32 byte length and its UTF-8 bytes
 * The source size and mtime say which JSON the cache was made from: when they no longer match, or the
 * format version is an older one, the cache is stale and gets rebuilt. Damage (bad magic, checksum,
 * sizes) is an error instead, so a broken disk is reported rather than papered over.
 */
const MAGIC = 'LVQGLOVE';
export const VECTOR_CACHE_VERSION = 1;
const WHAT = 'GloVe vector cache';

export interface SourceStamp {
  size: number;
  mtimeMs: number;
}

export interface CachedVectors {
  words: string[];
  vectors: Matrix;
  /** CRC-32 of the float bytes: identifies the vectors (the ANN-set cache is keyed on it). */
  checksum: number;
}

export async function writeVectorCache(file: string, words: readonly string[], vectors: Matrix, stamp: SourceStamp): Promise<number> {
  if (words.length !== vectors.rows) throw new LibvqError('DIMENSION_MISMATCH', `writeVectorCache: ${words.length} words for ${vectors.rows} rows`);
  const wordBytes = encodeWords(words);
  const floatBytes = bytesOf(vectors.data);
  const floatCrc = crc32(floatBytes);
  const header = makeHeader(MAGIC, VECTOR_CACHE_VERSION, (v) => {
    v.setUint32(12, vectors.rows, true);
    v.setUint32(16, vectors.dim, true);
    v.setUint32(20, floatCrc, true);
    v.setUint32(24, wordBytes.length, true);
    v.setUint32(28, crc32(wordBytes), true);
    v.setFloat64(32, stamp.size, true);
    v.setFloat64(40, stamp.mtimeMs, true);
  });
  await writeFileAtomic(file, [header, floatBytes, wordBytes]);
  return floatCrc;
}

/** The cached vectors, or null when the file is missing or stale; throws when it is damaged. */
export async function readVectorCache(file: string, stamp: SourceStamp): Promise<CachedVectors | null> {
  const opened = await openCache(file, MAGIC, WHAT);
  if (opened === null) return null;
  const { fh, size, version, view } = opened;
  try {
    if (version !== VECTOR_CACHE_VERSION) return null;
    if (view.getFloat64(32, true) !== stamp.size || view.getFloat64(40, true) !== stamp.mtimeMs) return null;
    const rows = view.getUint32(12, true);
    const dim = view.getUint32(16, true);
    const wordLen = view.getUint32(24, true);
    const floatLen = rows * dim * 4;
    const expected = HEADER_BYTES + floatLen + wordLen;
    if (dim === 0 || size !== expected) {
      throw corrupt(file, WHAT, `it has ${size} bytes, its header (${rows} rows × ${dim} dims, ${wordLen} bytes of words) needs ${expected} (truncated?)`);
    }
    const data = new Float32Array(rows * dim);
    await readFully(fh, bytesOf(data), HEADER_BYTES, file);
    checkCrc(file, WHAT, 'float rows', bytesOf(data), view.getUint32(20, true));
    const wordBytes = Buffer.allocUnsafe(wordLen);
    await readFully(fh, wordBytes, HEADER_BYTES + floatLen, file);
    checkCrc(file, WHAT, 'word list', wordBytes, view.getUint32(28, true));
    const words = decodeWords(wordBytes, rows, file);
    return { words, vectors: matrix(rows, dim, data), checksum: view.getUint32(20, true) };
  } finally {
    await fh.close();
  }
}

/** A lone UTF-16 surrogate cannot be written as UTF-8 without turning into U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function encodeWords(words: readonly string[]): Buffer {
  let total = 0;
  for (let i = 0; i < words.length; i++) {
    if (LONE_SURROGATE.test(words[i])) {
      throw new LibvqError('UNSUPPORTED', `word ${i} (${JSON.stringify(words[i])}) holds a lone UTF-16 surrogate, which UTF-8 cannot store`);
    }
    total += 4 + Buffer.byteLength(words[i], 'utf8');
  }
  const out = Buffer.allocUnsafe(total);
  let p = 0;
  for (const w of words) {
    const n = out.write(w, p + 4, 'utf8');
    out.writeUInt32LE(n, p);
    p += 4 + n;
  }
  return out;
}

function decodeWords(bytes: Buffer, rows: number, file: string): string[] {
  const words = new Array<string>(rows);
  let p = 0;
  for (let i = 0; i < rows; i++) {
    if (p + 4 > bytes.length) throw corrupt(file, WHAT, `its word list ends after ${i} of ${rows} words`);
    const n = bytes.readUInt32LE(p);
    if (p + 4 + n > bytes.length) throw corrupt(file, WHAT, `word ${i} runs past the end of the word list`);
    words[i] = bytes.toString('utf8', p + 4, p + 4 + n);
    p += 4 + n;
  }
  if (p !== bytes.length) throw corrupt(file, WHAT, `its word list has ${bytes.length - p} bytes after the last of ${rows} words`);
  return words;
}
