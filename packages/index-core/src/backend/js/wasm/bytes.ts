/// <reference path="./webassembly.d.ts" />
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

/** Value types of the function signatures the kernels use. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

/** Pages (64 KiB) a shared WebAssembly memory may grow to: all of wasm32's 4 GiB (V8 reserves address space, not memory). */
export const SHARED_MAX_PAGES = 65536;

/** Whether a WebAssembly memory is shared (threads read it at once; a module must import it as shared). */
export function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/**
 * The whole binary of a kernel module: magic and version, one function type, the import `env.memory` (a shared one
 * of at most SHARED_MAX_PAGES when `sharedMemory`: an import must state it), one function exported under `name`, and
 * its body (locals declarations then code, as functionOps writes it).
 */
export function oneFunctionModule(name: string, params: readonly number[], results: readonly number[], body: ByteWriter, sharedMemory = false): Uint8Array {
  const w = new ByteWriter();
  w.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]); // magic, version 1
  w.byte(1).sized(new ByteWriter().u32(1).byte(0x60).u32(params.length).bytes(params).u32(results.length).bytes(results));
  const limits = sharedMemory ? new ByteWriter().byte(0x03).u32(1).u32(SHARED_MAX_PAGES) : new ByteWriter().byte(0x00).u32(1); // min 1 page; max only when shared
  w.byte(2).sized(new ByteWriter().u32(1).name('env').name('memory').byte(0x02).bytes(limits.toBytes()));
  w.byte(3).sized(new ByteWriter().u32(1).u32(0));
  w.byte(7).sized(new ByteWriter().u32(1).name(name).byte(0x00).u32(0));
  w.byte(10).sized(new ByteWriter().u32(1).sized(body));
  return w.toBytes();
}

const compiled = new Map<string, WebAssembly.Module>();

/**
 * The compiled module of one kernel shape, compiled once per process (thread) and reused by every instance:
 * `key` names the kernel and its shape ("pq4:25:true"), `bytes` emits the module the first time.
 */
export function compiledKernel(key: string, bytes: () => Uint8Array): WebAssembly.Module {
  let m = compiled.get(key);
  if (!m) {
    m = new WebAssembly.Module(bytes());
    compiled.set(key, m);
  }
  return m;
}

/**
 * One instance per key, made on first use and kept: a kernel's instance (its memory, views, compiled exports) per shape,
 * per thread (each thread has its own module scope; a thread's calls never interleave).
 */
export function perShape<K, V>(make: (key: K) => V): (key: K) => V {
  const made = new Map<K, V>();
  return (key) => {
    let v = made.get(key);
    if (v === undefined) {
      v = make(key);
      made.set(key, v);
    }
    return v;
  };
}

/** The instruction helpers every kernel emitter uses, writing into the function body f. */
export function functionOps(f: ByteWriter) {
  const get = (x: number) => f.byte(0x20).u32(x);
  const set = (x: number) => f.byte(0x21).u32(x);
  const simd = (op: number) => f.byte(0xfd).u32(op);
  return {
    get,
    set,
    i32c: (v: number) => f.byte(0x41).i32(v),
    simd,
    /** v128.const of 4 float32 (float) or int32 lanes. */
    vconst: (lanes: readonly number[], float: boolean) => {
      const bytes = new Uint8Array(16);
      const view = new DataView(bytes.buffer);
      lanes.forEach((v, l) => (float ? view.setFloat32(4 * l, v, true) : view.setInt32(4 * l, v, true)));
      simd(0x0c).bytes(bytes);
    },
    /** block, loop: `br_if 1` leaves, `loopEnd` repeats. */
    loopStart: () => f.byte(0x02).byte(0x40).byte(0x03).byte(0x40),
    /** br 0; end loop; end block. */
    loopEnd: () => f.byte(0x0c).u32(0).byte(0x0b).byte(0x0b),
    /**
     * Pushes base + ((row + rowAdd)·stride + col)·4, all locals but the constant rowAdd (row −1: rowAdd alone): the
     * address of a 4-byte element of a row-major matrix.
     */
    rowMajor4: (base: number, row: number, rowAdd: number, stride: number, col: number) => {
      get(base);
      if (row >= 0) get(row);
      if (row < 0 || rowAdd !== 0) f.byte(0x41).i32(rowAdd);
      if (row >= 0 && rowAdd !== 0) f.byte(0x6a);
      get(stride);
      f.byte(0x6c);
      get(col);
      f.byte(0x6a);
      f.byte(0x41).i32(4);
      f.byte(0x6c);
      f.byte(0x6a);
    },
    /** local x += by (i32). */
    inc: (x: number, by: number) => {
      get(x);
      f.byte(0x41).i32(by);
      f.byte(0x6a);
      set(x);
    },
    /** Leaves the enclosing loop when local a ≥ local b (unsigned). */
    exitIfGe: (a: number, b: number) => {
      get(a);
      get(b);
      f.byte(0x4f).byte(0x0d).u32(1); // i32.ge_u; br_if 1
    },
  };
}
