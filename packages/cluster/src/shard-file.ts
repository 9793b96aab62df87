import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { LibvqError, type EncodedVectors } from '@libvq/index-core';
import { bytesOf, writeFileAtomic } from '@libvq/index-core/util';

/*
 * An encoded shard: what `index.encode(rows)` gave for rows [start, start + rows) of the corpus — each row's
 * inverted list (IVF) and its code bytes — as one file the merge job adds with `addEncoded`.
 *
 *   0  magic "LVQSHRD1"            8 bytes
 *   8  version u32 = 1, codeSize u32, hasLists u32, reserved u32
 *  24  start f64, rows f64         (row numbers of the corpus; < 2^53)
 *  40  lists int32 × rows          (when hasLists)
 *   .. codes u8 × rows × codeSize
 *   .. crc32 u32 of every byte before it
 *
 * Written to a temporary name and renamed (writeFileAtomic), so a reader sees a whole shard or none; the crc catches
 * a file damaged at rest, and the job's result carries the sha256 of the whole file, so the merge also refuses a
 * whole, valid shard that is not the one its job wrote (an older run's, or one rewritten since).
 */
const MAGIC = 'LVQSHRD1';
const VERSION = 1;
const HEADER_BYTES = 40;

export interface EncodedShard extends EncodedVectors {
  /** The corpus row of the shard's first entry. */
  readonly start: number;
}

/** What a written shard is: where, which rows, and the sha256 of its bytes (the encode job's result). */
export interface ShardFileInfo {
  readonly path: string;
  readonly start: number;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A file's bytes, only if their sha256 is the one pinned for it (a job's result, a run's trained index): anything
 * else — changed, replaced, half-written — is refused as BAD_FILE with `mismatch`'s reason; an unreadable file is IO.
 */
export async function readVerified(path: string, sha256: string, what: string, mismatch: (sha: string, size: number) => string, ioHint = ''): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new LibvqError('IO', `${what} ${path}: cannot read it (${(e as Error).message})${ioHint}`, { cause: e });
  }
  const sha = sha256Hex(bytes);
  if (sha !== sha256) throw new LibvqError('BAD_FILE', `${what} ${path}: ${mismatch(sha, bytes.length)}`);
  return bytes;
}

/** A job's output file, read back only if its bytes are the ones the job reported (readVerified). */
export function readAsReported(expected: { path: string; sha256: string; bytes: number }, what: string): Promise<Uint8Array> {
  return readVerified(
    expected.path,
    expected.sha256,
    what,
    (sha, size) =>
      `its sha256 is ${sha.slice(0, 16)}…, its job wrote ${expected.sha256.slice(0, 16)}… (${size} bytes, the job wrote ${expected.bytes}): the file was changed or replaced after the job; it is not merged`,
    '; its job reported it written',
  );
}

/** The shard's bytes (see the layout above). */
export function encodeShard(shard: EncodedShard, codeSize: number): Uint8Array {
  const { rows, codes, lists, start } = shard;
  if (codes.length !== rows * codeSize) throw new LibvqError('INTERNAL', `shard at row ${start}: ${codes.length} code bytes for ${rows} rows of ${codeSize}`);
  if (lists && lists.length !== rows) throw new LibvqError('INTERNAL', `shard at row ${start}: ${lists.length} lists for ${rows} rows`);
  const listBytes = lists ? 4 * rows : 0;
  const out = new Uint8Array(HEADER_BYTES + listBytes + codes.length + 4);
  const v = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  v.setUint32(8, VERSION, true);
  v.setUint32(12, codeSize, true);
  v.setUint32(16, lists ? 1 : 0, true);
  v.setFloat64(24, start, true);
  v.setFloat64(32, rows, true);
  if (lists) out.set(bytesOf(lists), HEADER_BYTES);
  out.set(codes, HEADER_BYTES + listBytes);
  v.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

/** Writes a shard atomically; returns what the encode job reports. */
export async function writeShardFile(path: string, shard: EncodedShard, codeSize: number): Promise<ShardFileInfo> {
  const bytes = encodeShard(shard, codeSize);
  await writeFileAtomic(path, [bytes]);
  return { path, start: shard.start, rows: shard.rows, bytes: bytes.length, sha256: sha256Hex(bytes) };
}

/**
 * Reads a shard back, verifying everything: the sha256 its job reported, magic, version, sizes, crc, and that it
 * holds the rows and code size the merge expects. Every failure names the file and what did not match.
 */
export async function readShardFile(expected: ShardFileInfo, codeSize: number): Promise<EncodedShard> {
  const { path } = expected;
  const bytes = await readAsReported(expected, 'shard');
  const bad = (what: string) => new LibvqError('BAD_FILE', `shard ${path}: ${what}; it is not merged`);
  if (bytes.length < HEADER_BYTES + 4 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw bad(`not a libvq shard file (magic "${MAGIC}" expected)`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = v.getUint32(8, true);
  if (version !== VERSION) throw bad(`format version ${version}, this libvq reads ${VERSION}`);
  const crc = crc32(bytes.subarray(0, bytes.length - 4));
  if (crc !== v.getUint32(bytes.length - 4, true)) throw bad(`crc32 mismatch (stored ${v.getUint32(bytes.length - 4, true)}, computed ${crc}): damaged`);
  const size = v.getUint32(12, true);
  const hasLists = v.getUint32(16, true) === 1;
  const start = v.getFloat64(24, true);
  const rows = v.getFloat64(32, true);
  if (size !== codeSize) throw bad(`codes of ${size} bytes, the trained index's are ${codeSize}`);
  if (start !== expected.start || rows !== expected.rows) throw bad(`rows [${start}, ${start + rows}), expected [${expected.start}, ${expected.start + expected.rows})`);
  const listBytes = hasLists ? 4 * rows : 0;
  if (bytes.length !== HEADER_BYTES + listBytes + rows * size + 4) throw bad(`${bytes.length} bytes, ${rows} rows of ${size}-byte codes need ${HEADER_BYTES + listBytes + rows * size + 4}`);
  // Copies (readFile's Buffer may share a pooled ArrayBuffer, and Buffer#slice does not copy): the lists need
  // their own 4-byte-aligned buffer.
  const lists = hasLists ? new Int32Array(copyOf(bytes.subarray(HEADER_BYTES, HEADER_BYTES + listBytes)).buffer) : undefined;
  const codes = copyOf(bytes.subarray(HEADER_BYTES + listBytes, HEADER_BYTES + listBytes + rows * size));
  return { start, rows, codes, ...(lists ? { lists } : {}) };
}

function copyOf(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}
