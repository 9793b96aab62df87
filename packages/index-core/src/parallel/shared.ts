type Typed = Float32Array | Float64Array | Int32Array | Uint8Array | BigInt64Array;
type Ctor<T extends Typed> = { new (buffer: SharedArrayBuffer, byteOffset?: number, length?: number): T; BYTES_PER_ELEMENT: number };

/** A zeroed typed array of `length` elements over a new SharedArrayBuffer. */
export function sharedArray<T extends Typed>(ctor: Ctor<T>, length: number): T {
  return new ctor(new SharedArrayBuffer(Math.max(1, length) * ctor.BYTES_PER_ELEMENT), 0, length);
}

/** A copy of `src` in shared memory (workers see it without a copy of their own). */
export function sharedCopy<T extends Typed>(src: T): T {
  const out = sharedArray(src.constructor as unknown as Ctor<T>, src.length);
  (out as Float32Array).set(src as unknown as Float32Array);
  return out;
}

/** The shared copy when it still holds exactly src's values, else a fresh copy. */
export function reuseOrCopy<T extends Float32Array>(cached: T | undefined, src: T): T {
  if (cached && cached.length === src.length) {
    let same = true;
    for (let i = 0; i < src.length; i++) {
      if (cached[i] !== src[i] && !(Number.isNaN(cached[i]) && Number.isNaN(src[i]))) {
        same = false;
        break;
      }
    }
    if (same) return cached;
  }
  return sharedCopy(src);
}
