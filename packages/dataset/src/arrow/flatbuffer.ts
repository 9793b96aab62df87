import { LibvqError } from '@libvq/index-core';

/**
 * A bounds-checked reader of FlatBuffers tables (the encoding of Arrow IPC metadata). Every offset it follows is
 * checked against the buffer before use, so a corrupted message becomes an error naming what was being read,
 * never an out-of-range read, a loop or a huge allocation (apache-arrow's own reader trusts these offsets).
 */
export class FlatTable {
  private constructor(
    private readonly buf: FlatBytes,
    /** Byte position of the table. */
    readonly pos: number,
    private readonly vtable: number,
    private readonly vtableSize: number,
    readonly what: string,
  ) {}

  /** The root table of a FlatBuffer occupying all of `bytes`. */
  static root(bytes: Uint8Array, what: string, where: string): FlatTable {
    const buf = new FlatBytes(bytes, where);
    return FlatTable.at(buf, buf.u32(0, what), what);
  }

  private static at(buf: FlatBytes, pos: number, what: string): FlatTable {
    const vtable = pos - buf.i32(pos, `${what} (table)`);
    const vtableSize = buf.u16(vtable, `${what} (vtable)`);
    if (vtableSize < 4 || vtableSize % 2 !== 0) buf.fail(`${what}: vtable of ${vtableSize} bytes`);
    buf.need(vtable, vtableSize, `${what} (vtable)`);
    return new FlatTable(buf, pos, vtable, vtableSize, what);
  }

  /** The position of field `i`, or undefined when the field is absent (its default applies). */
  private field(i: number): number | undefined {
    const slot = 4 + 2 * i;
    if (slot + 2 > this.vtableSize) return undefined;
    const off = this.buf.u16(this.vtable + slot, this.what);
    return off === 0 ? undefined : this.pos + off;
  }

  u8(i: number, fallback: number): number {
    const p = this.field(i);
    return p === undefined ? fallback : this.buf.u8(p, `${this.what} field ${i}`);
  }

  i16(i: number, fallback: number): number {
    const p = this.field(i);
    return p === undefined ? fallback : this.buf.i16(p, `${this.what} field ${i}`);
  }

  i32(i: number, fallback: number): number {
    const p = this.field(i);
    return p === undefined ? fallback : this.buf.i32(p, `${this.what} field ${i}`);
  }

  /** An int64 field as a number; values beyond ±2^53 are refused (no Arrow size can be that large). */
  i64(i: number, fallback: number): number {
    const p = this.field(i);
    return p === undefined ? fallback : this.buf.i64(p, `${this.what} field ${i}`);
  }

  table(i: number, what: string): FlatTable | undefined {
    const p = this.field(i);
    return p === undefined ? undefined : FlatTable.at(this.buf, this.buf.follow(p, what), what);
  }

  string(i: number, what: string): string | undefined {
    const p = this.field(i);
    if (p === undefined) return undefined;
    const start = this.buf.follow(p, what);
    const len = this.buf.u32(start, what);
    return this.buf.text(start + 4, len, what);
  }

  /** A vector of tables. */
  tables(i: number, what: string): FlatTable[] {
    const v = this.vector(i, 4, what);
    if (v === undefined) return [];
    const out: FlatTable[] = [];
    for (let k = 0; k < v.length; k++) out.push(FlatTable.at(this.buf, this.buf.follow(v.start + 4 * k, `${what}[${k}]`), `${what}[${k}]`));
    return out;
  }

  /**
   * A custom_metadata vector of KeyValue tables (key [0], value [1]), every entry bounds-checked: apache-arrow
   * walks this vector by its stored length, so a corrupted length is a near-endless loop unless refused here.
   */
  keyValues(i: number, what: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const kv of this.tables(i, what)) out.set(kv.string(0, `${what} key`) ?? '', kv.string(1, `${what} value`) ?? '');
    return out;
  }

  /** A vector of structs of `size` bytes: the position of each element, read with `structI64` / `structI32`. */
  structs(i: number, size: number, what: string): { length: number; at: (k: number) => number } {
    const v = this.vector(i, size, what);
    if (v === undefined) return { length: 0, at: () => 0 };
    return { length: v.length, at: (k) => v.start + size * k };
  }

  structI64(pos: number, what: string): number {
    return this.buf.i64(pos, what);
  }

  structI32(pos: number, what: string): number {
    return this.buf.i32(pos, what);
  }

  private vector(i: number, elementSize: number, what: string): { start: number; length: number } | undefined {
    const p = this.field(i);
    if (p === undefined) return undefined;
    const at = this.buf.follow(p, what);
    const length = this.buf.u32(at, `${what} (length)`);
    this.buf.need(at + 4, length * elementSize, `${what} (${length} elements)`);
    return { start: at + 4, length };
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: false });

/** The bytes of one FlatBuffer with checked little-endian reads. */
class FlatBytes {
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly where: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(message: string): never {
    throw new LibvqError('BAD_FILE', `${this.where}: corrupted Arrow metadata: ${message}`);
  }

  need(pos: number, len: number, what: string): void {
    if (!Number.isSafeInteger(pos) || pos < 0 || len < 0 || pos + len > this.bytes.byteLength) {
      this.fail(`${what} at byte ${pos} (${len} bytes) lies outside the ${this.bytes.byteLength}-byte message`);
    }
  }

  u8(pos: number, what: string): number {
    this.need(pos, 1, what);
    return this.view.getUint8(pos);
  }

  u16(pos: number, what: string): number {
    this.need(pos, 2, what);
    return this.view.getUint16(pos, true);
  }

  i16(pos: number, what: string): number {
    this.need(pos, 2, what);
    return this.view.getInt16(pos, true);
  }

  u32(pos: number, what: string): number {
    this.need(pos, 4, what);
    return this.view.getUint32(pos, true);
  }

  i32(pos: number, what: string): number {
    this.need(pos, 4, what);
    return this.view.getInt32(pos, true);
  }

  i64(pos: number, what: string): number {
    this.need(pos, 8, what);
    const v = this.view.getBigInt64(pos, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} is ${v}, beyond any possible size`);
    return Number(v);
  }

  /** Follows the uoffset stored at `pos` to the object it points to. */
  follow(pos: number, what: string): number {
    return pos + this.u32(pos, what);
  }

  text(pos: number, len: number, what: string): string {
    this.need(pos, len, what);
    return UTF8.decode(this.bytes.subarray(pos, pos + len));
  }
}
