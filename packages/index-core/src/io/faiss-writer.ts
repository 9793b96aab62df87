import { LibvqError } from '../errors.js';

/** faiss's format is little-endian in practice; bulk arrays are written as their in-memory bytes. */
export function checkLittleEndianHost(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new LibvqError('UNSUPPORTED', 'faiss index files: big-endian hosts are not supported (the format is little-endian)');
  }
}

const STAGE = 4096;

/**
 * Builds a faiss index file as a list of chunks: scalars go through a small staging buffer, bulk arrays
 * are appended as views without copying. The caller either concatenates the chunks or streams them to
 * a file, so a large index is never copied twice.
 *
 * The staging buffer and its DataView are created once and never replaced: a flush *copies* the staged
 * bytes out. An earlier version swapped in a fresh buffer on flush, and `this.view.setInt32(this.room(4), …)`
 * evaluates `this.view` before `room()` flushes, so a scalar that crossed the 4,096-byte stage was written
 * into the old, already-emitted buffer and the new one kept zeros (IVF files with nlist ≥ ~509 were corrupt).
 * With one fixed buffer the order of evaluation cannot matter.
 */
export class FaissWriter {
  private readonly chunks: Uint8Array[] = [];
  private readonly stage = new Uint8Array(STAGE);
  private readonly view = new DataView(this.stage.buffer);
  private pos = 0;
  private total = 0;

  constructor() {
    checkLittleEndianHost();
  }

  private room(n: number): number {
    if (this.pos + n > STAGE) this.flush();
    const at = this.pos;
    this.pos += n;
    this.total += n;
    return at;
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.chunks.push(this.stage.slice(0, this.pos));
    this.pos = 0;
  }

  u8(v: number): void {
    this.view.setUint8(this.room(1), v);
  }

  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }

  i32(v: number): void {
    this.view.setInt32(this.room(4), v, true);
  }

  fourcc(s: string): void {
    const at = this.room(4);
    for (let i = 0; i < 4; i++) this.stage[at + i] = s.charCodeAt(i);
  }

  /** A size_t / idx_t value. */
  int64(v: number): void {
    this.view.setBigInt64(this.room(8), BigInt(v), true);
  }

  /** Raw bytes, appended as a view (the caller must not change them before the chunks are consumed). */
  raw(b: Uint8Array): void {
    if (b.length === 0) return;
    this.flush();
    this.chunks.push(b);
    this.total += b.length;
  }

  floats(f: Float32Array): void {
    this.raw(new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
  }

  /** A size-prefixed std::vector<float>. */
  floatVector(f: Float32Array): void {
    this.int64(f.length);
    this.floats(f);
  }

  /** Ids as int64, split into 32-bit halves so no BigInt is created per id. */
  ids(ids: Float64Array, n: number): void {
    const lo = new Uint32Array(2 * n);
    const hi = new Int32Array(lo.buffer);
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      const h = Math.floor(id / 4294967296);
      hi[2 * i + 1] = h;
      lo[2 * i] = id - h * 4294967296;
    }
    this.raw(new Uint8Array(lo.buffer));
  }

  /** The file as chunks, in order. */
  finish(): Uint8Array[] {
    this.flush();
    return this.chunks;
  }

  get byteLength(): number {
    return this.total;
  }
}

export function concatChunks(chunks: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
