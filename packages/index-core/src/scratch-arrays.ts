type Typed = Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array;

/**
 * Typed arrays a thread reuses from one search to the next, by name: grown (never shrunk) and handed out as their
 * first n entries. A search that allocated its intermediate tables and results afresh at every call touched new
 * pages each time (~11 µs per page fault on the machines we measure, up to a third of a fast-scan query's time);
 * these are touched once. Only for arrays that do not outlive the call that takes them (never a result).
 */
export class ScratchArrays {
  private readonly byName = new Map<string, Typed>();

  f32(name: string, n: number): Float32Array {
    return this.take(name, n, (m) => new Float32Array(m));
  }

  f64(name: string, n: number): Float64Array {
    return this.take(name, n, (m) => new Float64Array(m));
  }

  u8(name: string, n: number): Uint8Array {
    return this.take(name, n, (m) => new Uint8Array(m));
  }

  u16(name: string, n: number): Uint16Array {
    return this.take(name, n, (m) => new Uint16Array(m));
  }

  i32(name: string, n: number): Int32Array {
    return this.take(name, n, (m) => new Int32Array(m));
  }

  private take<T extends Typed>(name: string, n: number, make: (m: number) => T): T {
    let a = this.byName.get(name) as T | undefined;
    if (a === undefined || a.length < n) {
      a = make(Math.max(n, a ? 2 * a.length : 0));
      this.byName.set(name, a);
    }
    return a.subarray(0, n) as T;
  }
}

/**
 * This thread's scratch (module scope: every worker has its own), shared by the searches (fast-scan's batches, the
 * 8-bit IVF-PQ scan's tables): a search runs to its end before another starts on the thread, so the names never
 * hold two live arrays at once.
 */
export const threadScratch = new ScratchArrays();

/** The first n entries of `given` (an array a caller hands a kernel to write into), or a new array of n. */
export function frontOr<T extends Typed>(given: T | null | undefined, n: number, make: (n: number) => T): T {
  return given ? (given.subarray(0, n) as T) : make(n);
}
