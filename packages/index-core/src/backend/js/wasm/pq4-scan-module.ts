import { ByteWriter, I32, V128, functionOps, oneFunctionModule } from './bytes.js';

/**
 * Emits the 4-bit fast-scan kernel (faiss's pq4_accumulate_loop, in WebAssembly SIMD): one export
 *
 *   scan(codes, nblocks, lut, bias, thr, out, scratch, first) -> count
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
 * Every vector whose score + bias (uint16) passes `thr` — score ≥ thr when higher is better, ≤ thr otherwise —
 * is appended to `out` as (i32 first + vector number from the first block, i32 score): `out` is the free end of the
 * caller's reservoir (kernel-reservoir.ts), whose bound fixes thr, and `first` the slot of the call's first code
 * (adc-scan-module.ts does the same for 8-bit codes).
 * `scratch` is 64 bytes where a block's 32 scores are spilled when one of them passes.
 */
export function pq4ScanModuleBytes(M2: number, higherIsBetter: boolean): Uint8Array {

  // params 0 codes, 1 nblocks, 2 lut, 3 bias, 4 thr, 5 out, 6 scratch, 7 first
  // locals: 8 b, 9 count, 10 mask, 11 base (i32); 12..15 acc, 16 c, 17 t, 18 r0, 19 r1, 20 low4, 21 thrv, 22 biasv (v128)
  const CODES = 0, NBLOCKS = 1, LUT = 2, BIAS = 3, THR = 4, OUT = 5, SCRATCH = 6, FIRST = 7;
  const B = 8, COUNT = 9, MASK = 10, BASE = 11, ACC = 12, C = 16, T = 17, R0 = 18, R1 = 19, LOW4 = 20, THRV = 21, BIASV = 22;
  const f = new ByteWriter();
  f.u32(2).u32(4).byte(I32).u32(11).byte(V128);
  const { get, set, i32c, simd, loopStart, loopEnd, inc } = functionOps(f);
  const v128load = (offset: number) => simd(0x00).u32(0).u32(offset);
  const v128store = (offset: number) => simd(0x0b).u32(0).u32(offset);
  const I8X16_SWIZZLE = 0x0e, I16X8_SPLAT = 0x10, V128_AND = 0x4e;
  const I16X8_BITMASK = 0x84, I16X8_SHL = 0x8b, I16X8_SHR_U = 0x8d, I16X8_ADD = 0x8e, I16X8_SUB = 0x91;
  const I16X8_CMP = higherIsBetter ? 0x36 /* ge_u */ : 0x34; /* le_u */
  const I32_ADD = 0x6a, I32_SUB = 0x6b, I32_MUL = 0x6c, I32_AND = 0x71, I32_OR = 0x72, I32_SHL = 0x74, I32_CTZ = 0x68;

  simd(0x0c).bytes(new Uint8Array(16).fill(0x0f));
  set(LOW4);
  get(THR);
  simd(I16X8_SPLAT);
  set(THRV);
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
  // mask bit v: vector v of the block passes the threshold (acc a holds vectors 8a .. 8a+7).
  for (let a = 0; a < 4; a++) {
    get(ACC + a);
    get(THRV);
    simd(I16X8_CMP);
    simd(I16X8_BITMASK);
    if (a > 0) {
      i32c(8 * a);
      f.byte(I32_SHL);
      f.byte(I32_OR);
    }
  }
  set(MASK);
  get(MASK);
  f.byte(0x04).byte(0x40); // if mask ≠ 0
  for (let a = 0; a < 4; a++) {
    get(SCRATCH);
    get(ACC + a);
    v128store(16 * a);
  }
  get(B);
  i32c(32);
  f.byte(I32_MUL);
  get(FIRST);
  f.byte(I32_ADD);
  set(BASE);
  loopStart();
  get(MASK);
  f.byte(0x45).byte(0x0d).u32(1); // i32.eqz; br_if 1
  // v = ctz(mask): out[count] = (base + v, scratch_u16[v])
  get(OUT);
  get(COUNT);
  i32c(3);
  f.byte(I32_SHL);
  f.byte(I32_ADD);
  get(BASE);
  get(MASK);
  f.byte(I32_CTZ);
  f.byte(I32_ADD);
  f.byte(0x36).u32(2).u32(0); // i32.store
  get(OUT);
  get(COUNT);
  i32c(3);
  f.byte(I32_SHL);
  f.byte(I32_ADD);
  get(SCRATCH);
  get(MASK);
  f.byte(I32_CTZ);
  i32c(1);
  f.byte(I32_SHL);
  f.byte(I32_ADD);
  f.byte(0x2f).u32(1).u32(0); // i32.load16_u
  f.byte(0x36).u32(2).u32(4); // i32.store offset=4
  inc(COUNT, 1);
  get(MASK);
  get(MASK);
  i32c(1);
  f.byte(I32_SUB);
  f.byte(I32_AND);
  set(MASK);
  loopEnd();
  f.byte(0x0b); // end if
  inc(CODES, M2 * 16);
  inc(B, 1);
  loopEnd();
  get(COUNT);
  f.byte(0x0b);
  // Shared memory: the lists' arena is one memory every thread's kernel scans (fastscan/arena.ts).
  return oneFunctionModule('scan', [I32, I32, I32, I32, I32, I32, I32, I32], [I32], f, true);
}
