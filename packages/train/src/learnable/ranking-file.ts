import { readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { LibvqError } from '@libvq/index-core';
import { writeFileAtomic } from '@libvq/index-core/util';

/*
 * A ranking: the top-k document ids of rows [start, start + rows) of a query set, as a search returned them (best
 * first, -1 padding) — what virtual labels are made from (labelsFromRanking). Mined on many workers
 * (`libvq cluster label`), one file per shard of queries, then the shards concatenated; read by
 * `libvq train --virtual-labels`.
 *
 *   0  magic "LVQRANK1"      8 bytes
 *   8  version u32 = 1, k u32
 *  16  start f64, rows f64
 *  32  ids f64 × rows × k     (exact integers < 2^53, or -1)
 *  ..  crc32 u32 of every byte before it
 */
const MAGIC = 'LVQRANK1';
const VERSION = 1;
const HEADER = 32;

export interface Ranking {
  /** The query row of the first row. */
  readonly start: number;
  readonly rows: number;
  readonly k: number;
  /** rows × k ids, best first; -1 pads. */
  readonly ids: Float64Array;
}

export function encodeRanking(r: Ranking): Uint8Array {
  if (r.ids.length !== r.rows * r.k) throw new LibvqError('INTERNAL', `ranking: ${r.ids.length} ids for ${r.rows} rows of ${r.k}`);
  const out = new Uint8Array(HEADER + 8 * r.ids.length + 4);
  const v = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  v.setUint32(8, VERSION, true);
  v.setUint32(12, r.k, true);
  v.setFloat64(16, r.start, true);
  v.setFloat64(24, r.rows, true);
  out.set(new Uint8Array(r.ids.buffer, r.ids.byteOffset, r.ids.byteLength), HEADER);
  v.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

export async function writeRankingFile(path: string, r: Ranking): Promise<Uint8Array> {
  const bytes = encodeRanking(r);
  await writeFileAtomic(path, [bytes]);
  return bytes;
}

/** Reads and verifies a ranking file (magic, version, size, crc); every failure names the file. */
export async function readRankingFile(path: string): Promise<Ranking> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new LibvqError('IO', `ranking ${path}: cannot read it (${(e as Error).message})`, { cause: e });
  }
  return decodeRanking(bytes, path);
}

export function decodeRanking(bytes: Uint8Array, path: string): Ranking {
  const bad = (what: string) => new LibvqError('BAD_FILE', `ranking ${path}: ${what}`);
  if (bytes.length < HEADER + 4 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw bad(`not a libvq ranking file (magic "${MAGIC}" expected)`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(8, true) !== VERSION) throw bad(`format version ${v.getUint32(8, true)}, this libvq reads ${VERSION}`);
  const k = v.getUint32(12, true);
  const start = v.getFloat64(16, true);
  const rows = v.getFloat64(24, true);
  if (!Number.isSafeInteger(rows) || rows < 0 || !Number.isSafeInteger(start) || start < 0) throw bad(`bad header (start ${start}, rows ${rows})`);
  if (bytes.length !== HEADER + 8 * rows * k + 4) throw bad(`${bytes.length} bytes, ${rows} rows of ${k} ids need ${HEADER + 8 * rows * k + 4} (truncated?)`);
  const crc = crc32(bytes.subarray(0, bytes.length - 4));
  if (crc !== v.getUint32(bytes.length - 4, true)) throw bad(`crc32 mismatch (stored ${v.getUint32(bytes.length - 4, true)}, computed ${crc}): damaged`);
  const ids = new Float64Array(rows * k);
  new Uint8Array(ids.buffer).set(bytes.subarray(HEADER, HEADER + 8 * rows * k));
  return { start, rows, k, ids };
}
