import { ByteWriter, I32, V128, functionOps, oneFunctionModule } from './bytes.js';

/** Bytes of one query's record in the kernel's memory: its table's address, its bias (uint16), where its scores go. */
export const PQ4_RECORD_BYTES = 16;
/** The kernel's scratch (`split`): the split nibbles of one block, then one block's scores (the last, partial block). */
export const pq4SplitBytes = (M2: number) => 32 * M2 + 64;

/**
 * Emits the 4-bit fast-scan kernel (faiss's pq4_accumulate_loop, in WebAssembly SIMD): one export
 *
 *   scan(codes, nblocks, last, records, G, split, at)
 *
 * scoring `nblocks` blocks of 32 codes in faiss's packed layout (pack-blocks.ts) for G queries at once. Per pair
 * of sub-quantizers a block holds 32 bytes: byte j of the first 16 holds sub-quantizer 2p of vectors perm(j) (low
 * nibble) and perm(j)+16 (high nibble), perm = 0 8 1 9 … 7 15; the next 16 bytes the same for sub-quantizer 2p+1.
 * Query g's record (PQ4_RECORD_BYTES at records + 16g) holds the address of its M2 tables of 16 uint8 scores, its
 * bias and the address its scores go to (plus `at` bytes: a list scanned in chunks). Per sub-quantizer, two i8x16.swizzle look up 32 vectors' scores at once;
 * they are summed in 16-bit lanes with faiss's trick: the looked-up bytes, read as eight u16 lanes, add byte 2i +
 * 256·byte 2i+1 to lane i of one accumulator, and their high bytes alone to another; one subtraction at the end
 * leaves vectors 0..7 in the first and 8..15 in the second (the permutation puts vector i at byte 2i and i+8 at
 * 2i+1). Sums wrap mod 2^16 as in faiss; the table quantization keeps them below it.
 *
 * Each block's 32 scores + bias (uint16) are stored in vector order, 64 bytes per block from the query's address:
 * higher is better as they are, lower is better (l2) complemented (65535 − score), so that the selection
 * (top16-module.ts) is one kernel for both. The last block holds `last` codes (1..32): with last < 32 only those
 * scores are written (through the scratch's tail), so lists can be scored in any order into one query's buffer.
 *
 * One query (G = 1) splits each code byte into its nibbles as it goes (an and, a shift, an and per sub-quantizer).
 * Several queries probing the same list (G > 1) share that work: each block's nibbles are split once into the
 * scratch, then every query's sums read them from there (two loads instead of three operations), and the block's
 * codes are read from memory once, not G times.
 *
 * `relaxed`: the look-ups are i8x16.relaxed_swizzle (relaxed-simd.ts), the same bytes out (every index is a masked
 * nibble, 0..15), 8–15% fewer cycles per block.
 */
export function pq4ScanModuleBytes(M2: number, higherIsBetter: boolean, relaxed: boolean): Uint8Array {
  const CODES = 0, NBLOCKS = 1, LAST = 2, RECORDS = 3, G = 4, SPLIT = 5, OUT_AT = 6;
  const B = 7, REC = 8, REC_END = 9, LUT = 10, DST = 11, LP = 12, CP = 13, LP_END = 14;
  const ACC = 15, C = 19, T = 20, R0 = 21, R1 = 22, LOW4 = 23, BIASV = 24;
  const f = new ByteWriter();
  f.u32(2).u32(8).byte(I32).u32(10).byte(V128);
  const { get, set, i32c, simd, loopStart, loopEnd, inc, exitIfGe } = functionOps(f);
  const v128load = (offset: number) => simd(0x00).u32(0).u32(offset);
  const v128store = (offset: number) => simd(0x0b).u32(0).u32(offset);
  const i32load = (offset: number) => f.byte(0x28).u32(2).u32(offset);
  const I8X16_SWIZZLE = relaxed ? 0x100 /* i8x16.relaxed_swizzle */ : 0x0e, I16X8_SPLAT = 0x10, V128_AND = 0x4e, V128_NOT = 0x4d;
  const I16X8_SHL = 0x8b, I16X8_SHR_U = 0x8d, I16X8_ADD = 0x8e, I16X8_SUB = 0x91;
  const IF = () => f.byte(0x04).byte(0x40), ELSE = () => f.byte(0x05), END = () => f.byte(0x0b);
  const codeOffset = (sq: number) => (sq >> 1) * 32 + (sq & 1) * 16;

  /** Pushes the low (hi = false) or high nibbles of the code bytes in C, masked to 0..15. */
  const nibbles = (hi: boolean) => {
    get(C);
    if (hi) {
      i32c(4);
      simd(I16X8_SHR_U); // a 16-bit shift and the mask: V8 lowers i8x16.shr_u to five instructions, this to two
    }
    get(LOW4);
    simd(V128_AND);
  };
  /**
   * The sums of one query (table at LUT) over the block; `split`: its nibbles are in the scratch. A loop over the
   * pairs of sub-quantizers, not unrolled: fully unrolled (as it was), TurboFan hoisted every load to the top of the
   * block and spilled most of them, ~4 stack moves per look-up; the loop runs ~30% fewer cycles per block (V8 11.3, Node 20).
   */
  const accumulate = (split: boolean) => {
    for (let a = 0; a < 4; a++) {
      simd(0x0c).bytes(new Uint8Array(16));
      set(ACC + a);
    }
    get(LUT);
    set(LP);
    get(split ? SPLIT : CODES);
    set(CP);
    get(LUT);
    i32c(16 * M2);
    f.byte(0x6a);
    set(LP_END);
    loopStart();
    exitIfGe(LP, LP_END);
    for (let sq = 0; sq < 2; sq++) {
      get(LP);
      v128load(sq * 16);
      set(T);
      if (!split) {
        get(CP);
        v128load(codeOffset(sq));
        set(C);
      }
      for (const [r, hi] of [[R0, false], [R1, true]] as const) {
        get(T);
        if (split) {
          get(CP);
          v128load(sq * 32 + (hi ? 16 : 0));
        } else nibbles(hi);
        simd(I8X16_SWIZZLE);
        set(r);
      }
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
    inc(LP, 32);
    inc(CP, split ? 64 : 32);
    loopEnd();
  };
  /** Stores the 4 accumulators (vectors 8a .. 8a+7) at local `at` + offset. */
  const store = (at: number, offset: number) => {
    for (let a = 0; a < 4; a++) {
      get(at);
      get(ACC + a);
      v128store(offset + 16 * a);
    }
  };

  simd(0x0c).bytes(new Uint8Array(16).fill(0x0f));
  set(LOW4);
  get(RECORDS);
  get(G);
  i32c(4);
  f.byte(0x74); // i32.shl: G · 16
  f.byte(0x6a);
  set(REC_END);

  loopStart();
  exitIfGe(B, NBLOCKS);
  get(G);
  i32c(1);
  f.byte(0x4b); // i32.gt_u
  IF();
  // The block's nibbles into the scratch, one sub-quantizer's 16 bytes at a time (a loop, for the reason below).
  get(CODES);
  set(CP);
  get(SPLIT);
  set(LP);
  get(CODES);
  i32c(16 * M2);
  f.byte(0x6a);
  set(LP_END);
  loopStart();
  exitIfGe(CP, LP_END);
  get(CP);
  v128load(0);
  set(C);
  for (const hi of [false, true]) {
    get(LP);
    nibbles(hi);
    v128store(hi ? 16 : 0);
  }
  inc(CP, 16);
  inc(LP, 32);
  loopEnd();
  END();
  get(RECORDS);
  set(REC);
  loopStart();
  exitIfGe(REC, REC_END);
  get(REC);
  i32load(0);
  set(LUT);
  get(REC);
  i32load(4);
  simd(I16X8_SPLAT);
  set(BIASV);
  get(G);
  i32c(1);
  f.byte(0x4b);
  IF();
  accumulate(true);
  ELSE();
  accumulate(false);
  END();
  // Even lanes: remove the high bytes' 256× share; then add the bias to all 32 scores.
  for (const a of [ACC, ACC + 2]) {
    get(a);
    get(a + 1);
    i32c(8);
    simd(I16X8_SHL);
    simd(I16X8_SUB);
    set(a);
  }
  // Scores in index order (acc a holds vectors 8a .. 8a+7); l2's complemented, so that higher is better for both.
  for (let a = 0; a < 4; a++) {
    get(ACC + a);
    get(BIASV);
    simd(I16X8_ADD);
    if (!higherIsBetter) simd(V128_NOT);
    set(ACC + a);
  }
  get(REC);
  i32load(8);
  get(OUT_AT);
  f.byte(0x6a);
  set(DST);
  // The last block, partial: its scores go to the scratch's tail, and only `last` of them on to the query's buffer.
  get(B);
  i32c(1);
  f.byte(0x6a);
  get(NBLOCKS);
  f.byte(0x46); // i32.eq
  get(LAST);
  i32c(32);
  f.byte(0x49); // i32.lt_u
  f.byte(0x71); // i32.and
  IF();
  store(SPLIT, 32 * M2);
  get(DST);
  get(SPLIT);
  i32c(32 * M2);
  f.byte(0x6a);
  get(LAST);
  i32c(1);
  f.byte(0x74);
  f.byte(0xfc).u32(10).byte(0).byte(0); // memory.copy
  ELSE();
  store(DST, 0);
  END();
  inc(REC, PQ4_RECORD_BYTES);
  loopEnd();
  inc(OUT_AT, 64);
  inc(CODES, M2 * 16);
  inc(B, 1);
  loopEnd();
  END();
  // Shared memory: the lists' arena is one memory every thread's kernel scans (fastscan/arena.ts).
  return oneFunctionModule('scan', [I32, I32, I32, I32, I32, I32, I32], [], f, true);
}
