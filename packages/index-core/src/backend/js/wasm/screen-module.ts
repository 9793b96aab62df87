import { ByteWriter, I32, F32, V128, functionOps, oneFunctionModule } from './bytes.js';
import { emitBlockDots } from './gemm-module.js';

/**
 * Emits a WebAssembly SIMD module with one export, `screen(xq, yq, colScale, beta, rowScale, margin, rows, cols, est,
 * cand, counts)`: the integer screening pass of the screened arg-max (screened-best.ts). x and y are quantized to
 * int16: x row-major at xq (rows of dim8 = ⌈dim/8⌉·8 values), y in panels of 8 columns, each holding per pair of
 * coordinates (2p, 2p + 1) the 8 columns' two values side by side (y_j[2p], y_j[2p + 1] at panel + 32p + 4(j mod 8)).
 * For rows i (a multiple of 4) and columns j (a multiple of 8) the kernel computes
 *
 *   est(i, j) = float(Σ_t xq[i][t]·yq[j][t]) · colScale[j] · rowScale[i] − beta[j]
 *
 * The integer sums are exact (the quantization keeps them below 2^31). The micro-kernel is the float32 one's
 * (gemm-module.ts) with pairs of coordinates: a 4×8 block of int32 accumulators takes per pair two loads of y, four
 * broadcast loads of x's pair (one 32-bit splat each) and 8 `i32x4.dot_i16x8_s`, each 8 multiply-adds, where the float32
 * kernel needs a multiply and an add for 4.
 *
 * Then, per row, the columns whose estimate is at least max_j est(i, j) − margin[i] − |max|·2^-20 (the caller's margin
 * bounds twice an estimate's error; the last term covers this threshold's own rounding) go to cand + i·cols·4 in
 * increasing order, their number to counts + 4i. The float32 arg-max is among them (screened-best.ts proves it).
 * Estimates wait in est (4·cols floats) for that second pass. Padding columns must have colScale 0 and beta +∞.
 */
export function screenModuleBytes(dim8: number): Uint8Array {
  // params: 0 xq, 1 yq, 2 colScale, 3 beta, 4 rowScale, 5 margin, 6 rows, 7 cols, 8 est, 9 cand, 10 counts
  // locals (i32): 11 i, 12 j, 13 xp, 14 yp, 15 n, 16 mask, 17 cp, 18 r, 19 p, 20 ep, 21 end, 22 mxp
  // locals (f32): 23 m
  // locals (v128): 24..31 acc, 32 y0, 33 y1, 34 xs, 35 e, 36 cs, 37 bt, 38 thr
  const XQ = 0, YQ = 1, CS = 2, BETA = 3, RS = 4, MARGIN = 5, ROWS = 6, COLS = 7, EST = 8, CAND = 9, COUNTS = 10;
  const I = 11, J = 12, XP = 13, YP = 14, N = 15, MASK = 16, CP = 17, R = 18, P = 19, EP = 20, END = 21, MXP = 22;
  const MAXV = 23;
  const ACC = 24, Y0 = 32, Y1 = 33, XS = 34, E = 35, CSV = 36, BT = 37, THR = 38;
  const f = new ByteWriter();
  f.u32(3).u32(12).byte(I32).u32(1).byte(F32).u32(15).byte(V128);
  const { get, set, i32c, simd, vconst, loopStart, loopEnd, exitIfGe, inc, rowMajor4 } = functionOps(f);
  const I32_ADD = 0x6a, I32_MUL = 0x6c, I32_AND = 0x71, I32_SHR_U = 0x76;
  const V128_LOAD = 0x00, V128_LOAD32_SPLAT = 0x09, V128_STORE = 0x0b, V128_OR = 0x50, V128_ANY_TRUE = 0x53;
  const F32X4_SPLAT = 0x13, F32X4_EXTRACT = 0x1f, F32X4_GE = 0x46;
  const I32X4_BITMASK = 0xa4, I32X4_ADD = 0xae, I32X4_DOT_I16X8_S = 0xba, F32X4_SUB = 0xe5, F32X4_MUL = 0xe6, F32X4_PMAX = 0xeb;
  const F32X4_CONVERT_I32X4_S = 0xfa;
  const vload = (offset: number) => simd(V128_LOAD).u32(4).u32(offset);
  const vstore = (offset: number) => simd(V128_STORE).u32(4).u32(offset);
  const add = () => f.byte(I32_ADD);
  const mul = () => f.byte(I32_MUL);
  /** Pushes base + (a + b)·scale, with b a constant. */
  const addr = (base: number, a: number, b: number, scale: number) => {
    get(base);
    get(a);
    if (b !== 0) {
      i32c(b);
      add();
    }
    i32c(scale);
    mul();
    add();
  };
  /** Pushes est + (r·cols + j)·4. */
  const estAddr = (r: number) => rowMajor4(EST, -1, r, COLS, J);

  // The rows' running maxima (one v128 each) live in memory after est, not in locals: kept in registers through the
  // column loop, they made V8 spill the micro-kernel's accumulators (the loop ran 1.5× slower).
  get(EST);
  get(COLS);
  i32c(16);
  mul();
  add();
  set(MXP);
  i32c(0);
  set(I);
  loopStart(); // row quads
  exitIfGe(I, ROWS);
  for (let r = 0; r < 4; r++) {
    get(MXP);
    vconst([-Infinity, -Infinity, -Infinity, -Infinity], true);
    vstore(16 * r);
  }
  i32c(0);
  set(J);
  loopStart(); // column octets
  exitIfGe(J, COLS);
  // The 4×8 block of int32 sums, over pairs of coordinates (the coordinate loop unrolled ran slower on V8).
  emitBlockDots(f, { steps: dim8 / 2, rowBytes: dim8 * 2, product: I32X4_DOT_I16X8_S, sum: I32X4_ADD }, { X: XQ, YT: YQ, I, J, T: P, XP, YP, ACC, Y0, Y1, XS });
  for (let c = 0; c < 2; c++) {
    // est = float(acc) · colScale[j + 4c ..] · rowScale[i + r] − beta[j + 4c ..]; max[r] = max(max[r], est)
    addr(CS, J, 4 * c, 4);
    vload(0);
    set(CSV);
    addr(BETA, J, 4 * c, 4);
    vload(0);
    set(BT);
    for (let r = 0; r < 4; r++) {
      get(ACC + 2 * r + c);
      simd(F32X4_CONVERT_I32X4_S);
      get(CSV);
      simd(F32X4_MUL);
      addr(RS, I, r, 4);
      simd(V128_LOAD32_SPLAT).u32(2).u32(0);
      simd(F32X4_MUL);
      get(BT);
      simd(F32X4_SUB);
      set(E);
      estAddr(r);
      get(E);
      vstore(16 * c);
      get(MXP);
      get(MXP);
      vload(16 * r);
      get(E);
      simd(F32X4_PMAX);
      vstore(16 * r);
    }
  }
  inc(J, 8);
  loopEnd();
  // Second pass, per row of the quad: the candidates.
  for (let r = 0; r < 4; r++) {
    // m = max of the 4 lanes; thr = m − margin[i + r] − |m|·2^-20
    for (let l = 0; l < 4; l++) {
      get(MXP);
      vload(16 * r);
      simd(F32X4_EXTRACT).byte(l);
      if (l > 0) {
        get(MAXV);
        f.byte(0x97); // f32.max
      }
      set(MAXV);
    }
    get(MAXV);
    addr(MARGIN, I, r, 4);
    f.byte(0x2a).u32(2).u32(0); // f32.load
    f.byte(0x93); // f32.sub
    get(MAXV);
    f.byte(0x8b); // f32.abs
    f.byte(0x43).f32(2 ** -20);
    f.byte(0x94); // f32.mul
    f.byte(0x93); // f32.sub
    simd(F32X4_SPLAT);
    set(THR);
    // cp = cand + (i + r)·cols·4; n = 0; the row's estimates from ep to end, 16 at a time (cols is a multiple of 8:
    // a last group of 8 reads 8 estimates of the next row, or the maxima, and filters what it finds by column)
    get(CAND);
    get(I);
    i32c(r);
    add();
    get(COLS);
    mul();
    i32c(4);
    mul();
    add();
    set(CP);
    i32c(0);
    set(N);
    i32c(0);
    set(J);
    estAddr(r);
    set(EP);
    get(EP);
    get(COLS);
    i32c(4);
    mul();
    add();
    set(END);
    loopStart();
    exitIfGe(EP, END);
    // any of est[ep .. ep + 16) ≥ thr?
    for (let v = 0; v < 4; v++) {
      get(EP);
      vload(16 * v);
      get(THR);
      simd(F32X4_GE);
      if (v > 0) simd(V128_OR);
    }
    simd(V128_ANY_TRUE);
    f.byte(0x04).byte(0x40); // if: the 4 vectors one by one
    for (let v = 0; v < 4; v++) {
      get(EP);
      vload(16 * v);
      get(THR);
      simd(F32X4_GE);
      simd(I32X4_BITMASK);
      set(MASK);
      i32c(0);
      set(R);
      loopStart(); // lanes
      get(R);
      i32c(4);
      f.byte(0x4f).byte(0x0d).u32(1); // i32.ge_u; br_if 1
      get(MASK);
      get(R);
      f.byte(I32_SHR_U);
      i32c(1);
      f.byte(I32_AND);
      // column j + 4v + r, kept when below cols (the last group's tail belongs to what follows the row)
      get(J);
      i32c(4 * v);
      add();
      get(R);
      add();
      get(COLS);
      f.byte(0x48); // i32.lt_s
      f.byte(I32_AND);
      f.byte(0x04).byte(0x40); // if this lane passed
      get(CP);
      get(N);
      i32c(4);
      mul();
      add();
      get(J);
      i32c(4 * v);
      add();
      get(R);
      add();
      f.byte(0x36).u32(2).u32(0); // i32.store
      inc(N, 1);
      f.byte(0x0b); // end if
      inc(R, 1);
      loopEnd();
    }
    f.byte(0x0b); // end if
    inc(EP, 64);
    inc(J, 16);
    loopEnd();
    addr(COUNTS, I, r, 4);
    get(N);
    f.byte(0x36).u32(2).u32(0); // counts[i + r] = n
  }
  inc(I, 4);
  loopEnd();
  f.byte(0x0b);
  return oneFunctionModule('screen', [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32], [], f);
}
