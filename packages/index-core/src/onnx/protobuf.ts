/**
 * A minimal protocol-buffers *writer* (no reader): enough of the wire format to emit ONNX models.
 * Wire types used: 0 (varint), 2 (length-delimited), 5 (fixed32). Large byte payloads (tensor raw_data of
 * a 136 MB embedding table) are kept as views, never copied into the small-field buffer, so a model is a
 * list of chunks that can be written to disk as they are.
 */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private small: number[] = [];
  private size = 0;

  /** Total encoded size in bytes. */
  get length(): number {
    return this.size + this.small.length;
  }

  private tag(field: number, wireType: number): void {
    this.pushVarint(field * 8 + wireType);
  }

  private pushVarint(value: number): void {
    // Non-negative values below 2^53 only; int64 fields go through int64() which handles the sign.
    let v = value;
    while (v >= 0x80) {
      this.small.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.small.push(v);
  }

  private pushVarint64(value: bigint): void {
    // Negative int64 values are encoded as their 64-bit two's complement (always 10 bytes), as protobuf does.
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.small.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.small.push(Number(v));
  }

  private flushSmall(): void {
    if (this.small.length > 0) {
      this.parts.push(Uint8Array.from(this.small));
      this.size += this.small.length;
      this.small = [];
    }
  }

  private pushBytes(bytes: Uint8Array): void {
    if (bytes.length <= 256) {
      for (let i = 0; i < bytes.length; i++) this.small.push(bytes[i]);
      return;
    }
    this.flushSmall();
    this.parts.push(bytes);
    this.size += bytes.length;
  }

  /** int32 / enum / bool field (non-negative). */
  uint(field: number, value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`protobuf field ${field}: ${value} is not a non-negative safe integer`);
    this.tag(field, 0);
    this.pushVarint(value);
    return this;
  }

  /** int64 field, any sign. */
  int64(field: number, value: number | bigint): this {
    this.tag(field, 0);
    this.pushVarint64(BigInt(value));
    return this;
  }

  /** float (fixed32) field. */
  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.pushBytes(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** Length-delimited bytes; large payloads are referenced, not copied. */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.pushVarint(value.length);
    this.pushBytes(value);
    return this;
  }

  /** Embedded message. */
  message(field: number, msg: ProtoWriter): this {
    this.tag(field, 2);
    this.pushVarint(msg.length);
    this.flushSmall();
    for (const p of msg.chunks()) {
      this.parts.push(p);
      this.size += p.length;
    }
    return this;
  }

  /** Packed repeated int64. */
  packedInt64(field: number, values: ArrayLike<number | bigint>): this {
    const inner = new ProtoWriter();
    for (let i = 0; i < values.length; i++) inner.pushVarint64(BigInt(values[i]));
    this.tag(field, 2);
    this.pushVarint(inner.length);
    for (const p of inner.chunks()) this.pushBytes(p);
    return this;
  }

  /** Packed repeated float. */
  packedFloat(field: number, values: ArrayLike<number>): this {
    const f = Float32Array.from(values as ArrayLike<number>);
    return this.bytes(field, littleEndianBytes(f));
  }

  /** The encoded message as chunks (write them in order). */
  chunks(): Uint8Array[] {
    this.flushSmall();
    return this.parts;
  }

  /** The encoded message as one buffer (copies; fine for small messages and tests). */
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.chunks()) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** The bytes of a typed array in little-endian order (ONNX raw_data is little-endian). */
export function littleEndianBytes(a: ArrayBufferView): Uint8Array {
  if (!IS_LITTLE_ENDIAN) throw new RangeError('ONNX writer: big-endian hosts are not supported');
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
