import { packEntry, packedBlockBytes, unpackEntry } from '../fastscan/pack-blocks.js';

/**
 * How an inverted list stores its entries' codes. Every index hands codes in and out one entry after another,
 * `codeSize` bytes each (one byte per sub-quantizer for PQ); a layout decides the bytes a list keeps:
 *  - flat: the entries back to back, as given (IVF-Flat, 8-bit IVF-PQ: the ADC scan reads them in place);
 *  - packed4: faiss's fast-scan block layout (fastscan/pack-blocks.ts), the only copy a fast-scan index keeps —
 *    half a byte per sub-quantizer, scanned in place by the SIMD kernel, unpacked per entry where an entry is read.
 */
export interface CodeLayout {
  readonly name: 'flat' | 'packed4';
  /** Bytes of one entry as given and as read back. */
  readonly codeSize: number;
  /** Bytes a list of n entries keeps. */
  bytes(n: number): number;
  /** Writes entry `codes[src ..]` at position i of `list`, whose bytes for position i are zero. */
  put(list: Uint8Array, i: number, codes: Uint8Array, src: number): void;
  /** Reads the entry at position i of `list` into out[at ..]. */
  get(list: Uint8Array, i: number, out: Uint8Array, at: number): void;
}

export function flatLayout(codeSize: number): CodeLayout {
  return {
    name: 'flat',
    codeSize,
    bytes: (n) => n * codeSize,
    put: (list, i, codes, src) => list.set(codes.subarray(src, src + codeSize), i * codeSize),
    get: (list, i, out, at) => out.set(list.subarray(i * codeSize, (i + 1) * codeSize), at),
  };
}

/** 4-bit codes of M sub-quantizers in faiss's blocks of 32 (one byte per sub-quantizer in and out). */
export function packed4Layout(M: number): CodeLayout {
  return {
    name: 'packed4',
    codeSize: M,
    bytes: (n) => packedBlockBytes(n, M),
    put: (list, i, codes, src) => packEntry(list, i, codes, src, M),
    get: (list, i, out, at) => unpackEntry(list, i, M, out, at),
  };
}

/** The n entries of a list stored in `layout`, one after another (flat: a view of the list; packed: a copy). */
export function listEntries(layout: CodeLayout, list: Uint8Array, n: number): Uint8Array {
  if (layout.name === 'flat') return list.subarray(0, n * layout.codeSize);
  const out = new Uint8Array(n * layout.codeSize);
  for (let o = 0; o < n; o++) layout.get(list, o, out, o * layout.codeSize);
  return out;
}
