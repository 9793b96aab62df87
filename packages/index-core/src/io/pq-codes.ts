/**
 * faiss stores PQ codes of nbits < 8 bit-packed (its PQEncoderGeneric): the M codes of a vector form one
 * little-endian bit stream, code m in bits [m·nbits, (m+1)·nbits), least significant bit first, padded
 * with zero bits to ceil(M·nbits/8) bytes. In memory libvq keeps one byte per sub-quantizer.
 */

export function packedCodeSize(M: number, nbits: number): number {
  return Math.ceil((M * nbits) / 8);
}

/** n × M one-byte codes → n × packedCodeSize bytes (nbits = 8 returns the input itself). */
export function packCodes(codes: Uint8Array, n: number, M: number, nbits: number): Uint8Array {
  if (nbits === 8) return codes.subarray(0, n * M);
  const cs = packedCodeSize(M, nbits);
  const out = new Uint8Array(n * cs);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    let bits = 0;
    let o = i * cs;
    const src = i * M;
    for (let m = 0; m < M; m++) {
      acc |= codes[src + m] << bits;
      bits += nbits;
      while (bits >= 8) {
        out[o++] = acc & 0xff;
        acc >>>= 8;
        bits -= 8;
      }
    }
    if (bits > 0) out[o] = acc & 0xff;
  }
  return out;
}

/** n × packedCodeSize bytes → n × M one-byte codes (nbits = 8 returns the input itself). */
export function unpackCodes(packed: Uint8Array, n: number, M: number, nbits: number): Uint8Array {
  if (nbits === 8) return packed.subarray(0, n * M);
  const cs = packedCodeSize(M, nbits);
  const mask = (1 << nbits) - 1;
  const out = new Uint8Array(n * M);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    let bits = 0;
    let p = i * cs;
    const dst = i * M;
    for (let m = 0; m < M; m++) {
      while (bits < nbits) {
        acc |= packed[p++] << bits;
        bits += 8;
      }
      out[dst + m] = acc & mask;
      acc >>>= nbits;
      bits -= nbits;
    }
  }
  return out;
}
