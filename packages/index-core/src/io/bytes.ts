/** The bytes of any typed array or DataView: a view on the same memory (no copy), for hashing, reading, writing. */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
