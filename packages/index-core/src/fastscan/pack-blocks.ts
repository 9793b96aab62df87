/**
 * faiss's fast-scan code layout (pq4_pack_codes, bbs = 32): 4-bit codes are stored in blocks of 32 vectors;
 * inside a block, per pair of sub-quantizers (2p, 2p+1), 32 bytes: byte j < 16 holds sub-quantizer 2p of
 * vector PERM[j] in its low nibble and of vector PERM[j] + 16 in its high nibble; byte 16 + j the same for
 * sub-quantizer 2p+1. M2 = M rounded up to even (a missing last sub-quantizer is all zeros), so a block is
 * 16·M2 bytes and n vectors take ⌈n/32⌉ blocks (the padding vectors have code 0).
 * PERM puts vector i at byte 2i and vector i + 8 at byte 2i + 1: the SIMD kernel's 16-bit lanes then hold
 * vectors 0..7 and 8..15 in order (pq4-scan-module.ts).
 */
export const BLOCK = 32;
const PERM = [0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15];
/** The byte (0..15) of a half block that holds vector v (0..15): inverse of PERM. */
const POS = PERM.map((_, v) => PERM.indexOf(v));

export function evenM(M: number): number {
  return M + (M & 1);
}

/** Bytes of the packed layout for n vectors of M sub-quantizers. */
export function packedBlockBytes(n: number, M: number): number {
  return Math.ceil(n / BLOCK) * 16 * evenM(M);
}

/** The byte holding entry i's nibble of sub-quantizer 0; sub-quantizer m's is (m >> 1)·32 + (m & 1)·16 further. */
function entryByte(i: number, M: number): number {
  return (i >> 5) * 16 * evenM(M) + POS[i & 15];
}

/** Entry i's nibble in its bytes: the low one (shift 0) for the first 16 entries of its block, else the high one. */
function entryShift(i: number): number {
  return (i & 31) < 16 ? 0 : 4;
}

/**
 * ORs entry i's M one-byte codes (codes[src ..], values < 16) into its place in the block layout `out`, whose nibbles
 * for entry i must be zero (a fresh or grown list: entries past a list's end are code 0, as faiss pads them).
 */
export function packEntry(out: Uint8Array, i: number, codes: Uint8Array, src: number, M: number): void {
  const pos = entryByte(i, M);
  const shift = entryShift(i);
  for (let m = 0; m < M; m++) out[pos + (m >> 1) * 32 + (m & 1) * 16] |= (codes[src + m] & 15) << shift;
}

/** Entry i's M one-byte codes read from the block layout into out[at ..]. */
export function unpackEntry(blocks: Uint8Array, i: number, M: number, out: Uint8Array, at: number): void {
  const pos = entryByte(i, M);
  const shift = entryShift(i);
  for (let m = 0; m < M; m++) out[at + m] = (blocks[pos + (m >> 1) * 32 + (m & 1) * 16] >> shift) & 15;
}

/** n × M one-byte codes (values < 16) → faiss's block layout. */
export function packBlocks(codes: Uint8Array, n: number, M: number, out = new Uint8Array(packedBlockBytes(n, M))): Uint8Array {
  for (let i = 0; i < n; i++) packEntry(out, i, codes, i * M, M);
  return out;
}

/**
 * A list of its own holding the first n entries of `blocks` (e.g. a view of a file's bytes), everything else — the
 * last block's padding entries, an odd M's padding sub-quantizer — cleared: later adds OR their codes into those
 * nibbles, and a file may have left anything there. The blocks are copied whole and only the padding is cleared
 * (entry by entry, GloVe's 340k × 50 codes took 130 ms of every load of the index; whole, 9 ms).
 */
export function copyBlocks(blocks: Uint8Array, n: number, M: number): Uint8Array {
  const bytes = packedBlockBytes(n, M);
  if (blocks.length < bytes) throw new RangeError(`copyBlocks: ${n} entries of ${M} sub-quantizers need ${bytes} bytes, got ${blocks.length}`);
  // A copy of its own (a Buffer's slice() would be a view of the file's bytes).
  const out = new Uint8Array(bytes);
  out.set(blocks.subarray(0, bytes));
  const blockBytes = 16 * evenM(M);
  if (M & 1) {
    // The padding sub-quantizer M is the second of its pair: the pair's last 16 bytes, both nibbles, in every block.
    const at = (M >> 1) * 32 + 16;
    for (let b = 0; b < bytes; b += blockBytes) out.fill(0, b + at, b + at + 16);
  }
  for (let i = n; i < Math.ceil(n / BLOCK) * BLOCK; i++) clearEntry(out, i, M);
  return out;
}

/** Zeroes entry i's nibbles (every sub-quantizer, the padding one included). */
function clearEntry(out: Uint8Array, i: number, M: number): void {
  const pos = entryByte(i, M);
  const keep = entryShift(i) === 0 ? 0xf0 : 0x0f;
  for (let m = 0; m < evenM(M); m++) out[pos + (m >> 1) * 32 + (m & 1) * 16] &= keep;
}

/** The inverse of packBlocks: the n × M one-byte codes of the first n vectors. */
export function unpackBlocks(blocks: Uint8Array, n: number, M: number): Uint8Array {
  const out = new Uint8Array(n * M);
  for (let i = 0; i < n; i++) unpackEntry(blocks, i, M, out, i * M);
  return out;
}
