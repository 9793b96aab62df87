import { LibvqError } from '../errors.js';
import { checkLittleEndianHost } from './faiss-writer.js';

/**
 * Bounds-checked cursor over a faiss index file. faiss files carry no checksum and no version field:
 * the only integrity checks possible are the ones made here — every read is bounded by the bytes that
 * remain, every size field is checked against them *before* anything is allocated, and the caller
 * validates each value against the structure it describes.
 *
 * faiss writes native-endian C++ values; every platform faiss ships for is little-endian, so the format
 * is read as little-endian (and bulk arrays are viewed in place, which needs a little-endian host).
 */
export class FaissReader {
  readonly name: string;
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private idScratch = new Uint8Array(0);
  offset = 0;

  constructor(bytes: Uint8Array, name: string) {
    checkLittleEndianHost();
    this.bytes = bytes;
    this.name = name;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  /** A BAD_FILE error naming the file, the field and the byte where it starts. */
  fail(field: string, at: number, what: string): LibvqError {
    return new LibvqError('BAD_FILE', `${this.name}: ${field} (byte ${at}): ${what}`);
  }

  unsupported(field: string, at: number, what: string): LibvqError {
    return new LibvqError('UNSUPPORTED', `${this.name}: ${field} (byte ${at}): ${what}`);
  }

  private need(n: number, field: string): number {
    if (n > this.remaining) {
      throw new LibvqError(
        'BAD_FILE',
        `${this.name}: truncated at byte ${this.bytes.length} while reading ${field} (${n} bytes needed at byte ${this.offset})`,
      );
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }

  u8(field: string): number {
    return this.view.getUint8(this.need(1, field));
  }

  /** A C++ bool: one byte that must be 0 or 1. */
  bool(field: string): boolean {
    const at = this.offset;
    const v = this.u8(field);
    if (v > 1) throw this.fail(field, at, `expected a boolean byte 0 or 1, got ${v}`);
    return v === 1;
  }

  i32(field: string): number {
    return this.view.getInt32(this.need(4, field), true);
  }

  fourcc(field: string): string {
    const at = this.need(4, field);
    return String.fromCharCode(...this.bytes.subarray(at, at + 4));
  }

  /** The next fourcc without consuming it ('' when fewer than 4 bytes remain). */
  peekFourcc(): string {
    if (this.remaining < 4) return '';
    return String.fromCharCode(...this.bytes.subarray(this.offset, this.offset + 4));
  }

  /** A 64-bit integer (size_t or idx_t) that must lie in [min, max] (both safe integers). */
  int64(field: string, min: number, max: number): number {
    const at = this.need(8, field);
    const v = this.view.getBigInt64(at, true);
    if (v < BigInt(min) || v > BigInt(max)) throw this.fail(field, at, `expected an integer from ${min} to ${max}, got ${v}`);
    return Number(v);
  }

  /**
   * Reads faiss's vector size prefix (a size_t element count) and checks that count × elemBytes bytes
   * remain, so a corrupt count can neither allocate gigabytes nor read past the end.
   */
  count(field: string, elemBytes: number): number {
    const at = this.need(8, `${field} size`);
    const n = this.view.getBigUint64(at, true);
    if (n * BigInt(elemBytes) > BigInt(this.remaining)) {
      throw new LibvqError(
        'BAD_FILE',
        `${this.name}: truncated at byte ${this.bytes.length} while reading ${field}: its size field at byte ${at} declares ${n} × ${elemBytes} bytes, only ${this.remaining} remain (truncated or corrupt file)`,
      );
    }
    return Number(n);
  }

  /** n raw bytes, copied (so the result is aligned and independent of the file buffer). */
  bytesCopy(n: number, field: string): Uint8Array {
    const at = this.need(n, field);
    // An explicit copy: on a Node Buffer, slice() would return a view into the file's pooled memory.
    const out = new Uint8Array(n);
    out.set(this.bytes.subarray(at, at + n));
    return out;
  }

  /** n raw bytes as a view of the file's buffer (no copy): for a caller that reads them at once and keeps nothing. */
  bytesView(n: number, field: string): Uint8Array {
    const at = this.need(n, field);
    return this.bytes.subarray(at, at + n);
  }

  skip(n: number, field: string): void {
    this.need(n, field);
  }

  /** n float32 values; a NaN or infinity is rejected because it would poison every distance. */
  floats(n: number, field: string): Float32Array {
    const start = this.offset;
    const out = new Float32Array(this.bytesCopy(n * 4, field).buffer);
    for (let i = 0; i < n; i++) {
      const v = out[i];
      if (v - v !== 0) throw this.fail(field, start + 4 * i, `value ${i} is ${v}; expected finite floats`);
    }
    return out;
  }

  /** A size-prefixed std::vector<float>. */
  floatVector(field: string): Float32Array {
    return this.floats(this.count(field, 4), field);
  }

  /** n int64 ids as doubles; ids must be non-negative safe integers (-1 means "no result" in searches). */
  ids(n: number, field: string): Float64Array {
    const start = this.offset;
    // Through a scratch the reader keeps (aligned for the 32-bit views; a file's offsets need not be): the only
    // array allocated per list is the result.
    if (this.idScratch.length < n * 8) this.idScratch = new Uint8Array(n * 8);
    const raw = this.idScratch;
    const at = this.need(n * 8, field);
    raw.set(this.bytes.subarray(at, at + n * 8));
    const lo = new Uint32Array(raw.buffer);
    const hi = new Int32Array(raw.buffer);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const h = hi[2 * i + 1];
      if (h < 0 || h >= 1 << 21) {
        const v = new DataView(raw.buffer).getBigInt64(8 * i, true);
        throw this.unsupported(field, start + 8 * i, `id ${v}: only ids from 0 to 2^53-1 are supported`);
      }
      out[i] = h * 4294967296 + lo[2 * i];
    }
    return out;
  }

  /** Rejects bytes after the index: a file holds exactly one index, anything else means corruption. */
  end(): void {
    if (this.remaining !== 0) {
      throw new LibvqError('BAD_FILE', `${this.name}: ${this.remaining} unexpected trailing bytes after the index, from byte ${this.offset}`);
    }
  }
}
