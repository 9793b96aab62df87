import type { EncodedVectors } from './index.js';

/** Bytes of encoded rows (codes and list numbers) an add holds before appending them (see HeldEncoded). */
export const addHold = { bytes: 64 * 1024 * 1024 };

/**
 * The encoded batches of one add, held until they fill addHold.bytes (or the add ends) and then appended to the
 * index in one call. Why: an append gives the stored data a new exactly-sized array (one per list, in IVF: faiss's
 * memory, n·(codeSize + 8) bytes), so appending every batch of 65,536 rows copied the whole index once per batch,
 * quadratic in the rows of one add, and the replaced arrays piled up as garbage the allocator kept. GloVe
 * IVF1024,PQ20x8, one thread: the malloc heap after add went from 106 to 78 MB; IVF1024,PQ50x4fs's add from 1.87
 * to 1.72 s. Held rows cost codeSize + 4 bytes each, a fraction of the vectors they come from.
 */
export class HeldEncoded {
  private readonly capacity: number;
  private codes: Uint8Array | null = null;
  private lists: Int32Array | null = null;
  /** Rows held. */
  rows = 0;

  /** Room for addHold.bytes of rows, at least `minRows` (one batch), at most the add's `total`. */
  constructor(private readonly codeSize: number, total: number, minRows: number) {
    this.capacity = Math.max(1, Math.min(total, Math.max(minRows, Math.floor(addHold.bytes / (codeSize + 4)))));
  }

  /** Whether n more rows fit (else take() them first). */
  fits(n: number): boolean {
    return this.rows + n <= this.capacity;
  }

  push(e: EncodedVectors): void {
    this.codes ??= new Uint8Array(this.capacity * this.codeSize);
    this.codes.set(e.codes.subarray(0, e.rows * this.codeSize), this.rows * this.codeSize);
    if (e.lists) {
      this.lists ??= new Int32Array(this.capacity);
      this.lists.set(e.lists.subarray(0, e.rows), this.rows);
    }
    this.rows += e.rows;
  }

  /** The held rows (views, valid until the next push); none are held after. */
  take(): EncodedVectors {
    const rows = this.rows;
    this.rows = 0;
    return {
      rows,
      codes: this.codes === null ? new Uint8Array(0) : this.codes.subarray(0, rows * this.codeSize),
      ...(this.lists ? { lists: this.lists.subarray(0, rows) } : {}),
    };
  }
}
