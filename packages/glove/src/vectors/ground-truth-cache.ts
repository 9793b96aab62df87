import { bytesOf, writeFileAtomic } from '@libvq/index-core/util';
import { crc32 } from './crc32.js';
import { HEADER_BYTES, checkCrc, corrupt, makeHeader, openCache, readFully } from './binary-file.js';
import type { ExactTopK } from './exact-search.js';

/**
 * The cached ground truth of one ANN split:
 *   header (64 bytes): "LVQGLVGT", u32 version, u32 seed @12, u32 numQueries @16, u32 k @20,
 *     u32 rows of the full data @24, u32 CRC-32 of the vectors it was computed on @28,
 *     u32 CRC-32 of the payload @32, header CRC-32 @60
 *   payload: numQueries int32 query rows, numQueries × k int32 ids, numQueries × k float32 scores
 * A cache computed from other vectors, another split (e.g. after a PRNG change) or an older format is
 * stale and recomputed; damage is an error.
 */
const MAGIC = 'LVQGLVGT';
const VERSION = 1;
const WHAT = 'GloVe ground-truth cache';

export interface GroundTruthKey {
  seed: number;
  numQueries: number;
  k: number;
  rows: number;
  vectorsChecksum: number;
  queryRows: Int32Array;
}

export async function writeGroundTruthCache(file: string, key: GroundTruthKey, gt: ExactTopK): Promise<void> {
  const parts = [bytesOf(key.queryRows), bytesOf(gt.ids), bytesOf(gt.scores)];
  let crc = 0;
  for (const p of parts) crc = crc32(p, crc);
  const header = makeHeader(MAGIC, VERSION, (v) => {
    v.setUint32(12, key.seed, true);
    v.setUint32(16, key.numQueries, true);
    v.setUint32(20, key.k, true);
    v.setUint32(24, key.rows, true);
    v.setUint32(28, key.vectorsChecksum, true);
    v.setUint32(32, crc, true);
  });
  await writeFileAtomic(file, [header, ...parts]);
}

/** The cached ground truth for `key`, or null when missing or stale; throws when damaged. */
export async function readGroundTruthCache(file: string, key: GroundTruthKey): Promise<ExactTopK | null> {
  const opened = await openCache(file, MAGIC, WHAT);
  if (opened === null) return null;
  const { fh, size, version, view } = opened;
  try {
    if (version !== VERSION) return null;
    const fields = [view.getUint32(12, true), view.getUint32(16, true), view.getUint32(20, true), view.getUint32(24, true), view.getUint32(28, true)];
    const wanted = [key.seed, key.numQueries, key.k, key.rows, key.vectorsChecksum];
    if (fields.some((f, i) => f !== wanted[i])) return null;
    const { numQueries: nq, k } = key;
    const expected = HEADER_BYTES + 4 * nq + 8 * nq * k;
    if (size !== expected) throw corrupt(file, WHAT, `it has ${size} bytes, ${nq} queries × k=${k} need ${expected} (truncated?)`);
    const payload = new Uint8Array(expected - HEADER_BYTES);
    await readFully(fh, payload, HEADER_BYTES, file);
    checkCrc(file, WHAT, 'payload', payload, view.getUint32(32, true));
    const queryRows = new Int32Array(payload.buffer, 0, nq);
    for (let i = 0; i < nq; i++) if (queryRows[i] !== key.queryRows[i]) return null;
    return {
      ids: new Int32Array(payload.buffer, 4 * nq, nq * k),
      scores: new Float32Array(payload.buffer, 4 * nq + 4 * nq * k, nq * k),
    };
  } finally {
    await fh.close();
  }
}
