import { ByteWriter, I32, V128, functionOps, oneFunctionModule } from './bytes.js';

/**
 * Emits the 4-bit fast-scan kernel (faiss's pq4_accumulate_loop, in WebAssembly SIMD): one export
 *
 *   scan(codes, nblocks, lut, bias, out)
 *
 * over `nblocks` blocks of 32 codes in faiss's packed layout (pack-blocks.ts): per pair of sub-quantizers 32
 * bytes, byte j of the first 16 holding sub-quantizer 2p of vectors perm(j) (low nibble) and perm(j)+16 (high
 * nibble), perm = 0 8 1 9 … 7 15; the next 16 bytes the same for sub-quantizer 2p+1. `lut` holds M2 tables of
 * 16 uint8 scores. Per sub-quantizer, two i8x16.swizzle look up 32 vectors' scores at once; they are summed in
 * 16-bit lanes with faiss's trick: the looked-up bytes, read as eight u16 lanes, add byte 2i + 256·byte 2i+1
 * to lane i of one accumulator, and their high bytes alone to another; one subtraction at the end leaves
 * vectors 0..7 in the first and 8..15 in the second (the permutation puts vector i at byte 2i and i+8 at 2i+1).
 * Sums wrap mod 2^16 as in faiss; the table quantization keeps them below it.
 *
 * Each block's 32 scores + bias (uint16) are stored at `out` in vector order, 64 bytes per block: higher is better
 * as they are, lower is better (l2) complemented (65535 − score), so that the selection (top16-module.ts) is one
 * kernel for both. Storing every score and selecting afterwards replaced appending the codes above a running bound
 * to a reservoir (~2.5× fewer cycles per query at nprobe 8 on GloVe, the selection included).
 *
 * `relaxed`: the look-ups are i8x16.relaxed_swizzle (relaxed-simd.ts), the same bytes out (every index is a masked
 * nibble, 0..15), 8–15% fewer cycles per block.
 */
export function pq4ScanModuleBytes(M2: number, higherIsBetter: boolean, relaxed: boolean): Uint8Array {
  // params 0 codes, 1 nblocks, 2 lut, 3 bias, 4 out
  // locals: 5 b (i32); 6..9 acc, 10 c, 11 t, 12 r0, 13 r1, 14 low4, 15 biasv (v128)
  const CODES = 0, NBLOCKS = 1, LUT = 2, BIAS = 3, OUT = 4;
  const B = 5, ACC = 6, C = 10, T = 11, R0 = 12, R1 = 13, LOW4 = 14, BIASV = 15;
  const f = new ByteWriter();
  f.u32(2).u32(1).byte(I32).u32(10).byte(V128);
  const { get, set, i32c, simd, loopStart, loopEnd, inc } = functionOps(f);
  const v128load = (offset: number) => simd(0x00).u32(0).u32(offset);
  const v128store = (offset: number) => simd(0x0b).u32(0).u32(offset);
  const I8X16_SWIZZLE = relaxed ? 0x100 /* i8x16.relaxed_swizzle */ : 0x0e, I16X8_SPLAT = 0x10, V128_AND = 0x4e, V128_NOT = 0x4d;
  const I16X8_SHL = 0x8b, I16X8_SHR_U = 0x8d, I16X8_ADD = 0x8e, I16X8_SUB = 0x91;

  simd(0x0c).bytes(new Uint8Array(16).fill(0x0f));
  set(LOW4);
  get(BIAS);
  simd(I16X8_SPLAT);
  set(BIASV);

  loopStart();
  get(B);
  get(NBLOCKS);
  f.byte(0x4f).byte(0x0d).u32(1); // i32.ge_u; br_if 1
  for (let a = 0; a < 4; a++) {
    simd(0x0c).bytes(new Uint8Array(16));
    set(ACC + a);
  }
  // Fully unrolled over the sub-quantizers: each code and table load has its offset as an immediate.
  for (let sq = 0; sq < M2; sq++) {
    get(CODES);
    v128load((sq >> 1) * 32 + (sq & 1) * 16);
    set(C);
    get(LUT);
    v128load(sq * 16);
    set(T);
    get(T);
    get(C);
    get(LOW4);
    simd(V128_AND);
    simd(I8X16_SWIZZLE);
    set(R0);
    get(T);
    get(C);
    i32c(4);
    simd(I16X8_SHR_U); // a 16-bit shift and the mask: V8 lowers i8x16.shr_u to five instructions, this to two
    get(LOW4);
    simd(V128_AND);
    simd(I8X16_SWIZZLE);
    set(R1);
    for (const [r, a] of [[R0, ACC], [R1, ACC + 2]] as const) {
      get(a);
      get(r);
      simd(I16X8_ADD);
      set(a);
      get(a + 1);
      get(r);
      i32c(8);
      simd(I16X8_SHR_U);
      simd(I16X8_ADD);
      set(a + 1);
    }
  }
  // Even lanes: remove the high bytes' 256× share; then add the bias to all 32 scores.
  for (const a of [ACC, ACC + 2]) {
    get(a);
    get(a + 1);
    i32c(8);
    simd(I16X8_SHL);
    simd(I16X8_SUB);
    set(a);
  }
  for (let a = 0; a < 4; a++) {
    get(ACC + a);
    get(BIASV);
    simd(I16X8_ADD);
    set(ACC + a);
  }
  // Scores in index order (acc a holds vectors 8a .. 8a+7); l2's complemented, so that higher is better for both.
  for (let a = 0; a < 4; a++) {
    get(OUT);
    get(ACC + a);
    if (!higherIsBetter) simd(V128_NOT);
    v128store(16 * a);
  }
  inc(OUT, 64);
  inc(CODES, M2 * 16);
  inc(B, 1);
  loopEnd();
  f.byte(0x0b);
  // Shared memory: the lists' arena is one memory every thread's kernel scans (fastscan/arena.ts).
  return oneFunctionModule('scan', [I32, I32, I32, I32, I32], [], f, true);
}
