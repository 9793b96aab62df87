/**
 * A minimal WebAssembly binary writer: just enough of the format (LEB128 integers, sections, one
 * function body) to emit the scan kernels in adc-scan-module.ts. No text format, no toolchain at run
 * time: the kernels are generated from integers (M, ksub) only.
 */
export class ByteWriter {
  private buf = new Uint8Array(256);
  length = 0;

  byte(b: number): this {
    if (this.length === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = b & 0xff;
    return this;
  }

  bytes(bs: ArrayLike<number>): this {
    for (let i = 0; i < bs.length; i++) this.byte(bs[i]);
    return this;
  }

  /** Unsigned LEB128. */
  u32(v: number): this {
    let x = v >>> 0;
    do {
      let b = x & 0x7f;
      x >>>= 7;
      if (x !== 0) b |= 0x80;
      this.byte(b);
    } while (x !== 0);
    return this;
  }

  /** Signed LEB128 (i32.const immediates). */
  i32(v: number): this {
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      const done = (x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  f32(v: number): this {
    const f = new Float32Array([v]);
    return this.bytes(new Uint8Array(f.buffer));
  }

  name(s: string): this {
    const enc = new TextEncoder().encode(s);
    return this.u32(enc.length).bytes(enc);
  }

  /** A length-prefixed chunk (section payloads, function bodies). */
  sized(inner: ByteWriter): this {
    return this.u32(inner.length).bytes(inner.toBytes());
  }

  toBytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
