import * as zlib from 'node:zlib';

/**
 * CRC-32 (the zlib / PNG polynomial) of a byte range, chainable through `value`. Node >= 20.15 has a
 * native zlib.crc32 (about 10x faster, which keeps a cached load of the 137 MB vector file well under
 * a second); older Node 20 releases get the table-driven JS version below, which gives the same numbers.
 */
export function crc32(bytes: Uint8Array, value = 0): number {
  const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  return native ? native(bytes, value) >>> 0 : crc32Js(bytes, value);
}

let table: Uint32Array | undefined;

/** Byte-at-a-time table CRC-32; exported so the tests can check it against the native one. */
export function crc32Js(bytes: Uint8Array, value = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = ~value >>> 0;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32 over the bytes of a typed array (any element type), without copying. */
export function crc32OfView(view: ArrayBufferView): number {
  return crc32(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
}
