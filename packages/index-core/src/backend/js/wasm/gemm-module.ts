import { ByteWriter, I32, V128, functionOps, oneFunctionModule } from './bytes.js';

/**
 * Emits a WebAssembly SIMD module with one export, `gemm(x, yT, out, rows, cols, outStride)`:
 *
 *   out[i·outStride + j] = Σ_t x[i·dimP + t] · y_j[t]      i < rows (multiple of 4), j < cols (multiple of 8)
 *
 * x is row-major with the padded dimension dimP (a compile-time constant, so every row offset is an
 * instruction immediate); yT is the other operand in panels of 8 columns, each t-major (y_j[t] at
 * yT[(⌊j/8⌋·dimP + t)·8 + j mod 8]), so one v128 load brings four columns and the next coordinate's columns
 * follow 32 bytes on (a whole transposed row apart, 4 KiB at 1,024 columns, they all fell in one L1 set).
 * The micro-kernel is the classic register-blocked one: a 4×8 block of float32 accumulators
 * (8 v128 registers) takes per t two loads of yT, four broadcast loads of x and 16 multiply-adds of 4 lanes.
 * Sums are float32 in t order, as a float32 BLAS would give.
 */
export function gemmModuleBytes(dimP: number): Uint8Array {

  // params 0 x, 1 yT, 2 out, 3 rows, 4 cols, 5 outStride
  // locals: 6 i, 7 j, 8 t, 9 xp, 10 yp, 11 op (i32); 12..19 acc (v128); 20 y0, 21 y1, 22 xs (v128)
  const X = 0, YT = 1, OUT = 2, ROWS = 3, COLS = 4, STRIDE = 5;
  const I = 6, J = 7, T = 8, XP = 9, YP = 10, OP = 11, ACC = 12, Y0 = 20, Y1 = 21, XS = 22;
  const f = new ByteWriter();
  f.u32(2).u32(6).byte(I32).u32(11).byte(V128);
  const { get, set, i32c, simd, loopStart, loopEnd, exitIfGe, inc, rowMajor4 } = functionOps(f);
  const add = () => f.byte(0x6a);
  const mul = () => f.byte(0x6c);
  const v128store = (offset: number) => simd(0x0b).u32(4).u32(offset);

  i32c(0);
  set(I);
  loopStart();
  exitIfGe(I, ROWS);
  i32c(0);
  set(J);
  loopStart();
  exitIfGe(J, COLS);
  emitBlockDots(f, float32Dots(dimP), { X, YT, I, J, T, XP, YP, ACC, Y0, Y1, XS });
  // store the block: out + ((i + r)·outStride + j)·4
  for (let r = 0; r < 4; r++) {
    rowMajor4(OUT, I, r, STRIDE, J);
    set(OP);
    get(OP);
    get(ACC + r * 2);
    v128store(0);
    get(OP);
    get(ACC + r * 2 + 1);
    v128store(16);
  }
  inc(J, 8);
  loopEnd();
  inc(I, 4);
  loopEnd();
  f.byte(0x0b);
  return oneFunctionModule('gemm', [I32, I32, I32, I32, I32, I32], [], f);
}

/** The locals emitBlockDots uses (indices into the function's locals; ACC is the first of 8 v128 accumulators). */
export interface BlockDotLocals {
  X: number; YT: number; I: number; J: number; T: number; XP: number; YP: number; ACC: number; Y0: number; Y1: number; XS: number;
}

/**
 * What one step of the micro-kernel multiplies: per step, 4 bytes of each row of x (broadcast to every lane) against
 * 32 bytes of the panel of 8 columns, combined by `product` and added into the accumulators by `sum` (SIMD opcodes).
 */
export interface BlockDotElement {
  /** Steps per dot product. */
  steps: number;
  /** Bytes per row of x, and per column of a panel (a panel of 8 columns is 8·rowBytes bytes). */
  rowBytes: number;
  product: number;
  sum: number;
}

/** float32 (gemm-module.ts): one coordinate per step, f32x4.mul then f32x4.add. */
export function float32Dots(dimP: number): BlockDotElement {
  return { steps: dimP, rowBytes: dimP * 4, product: 0xe6 /* f32x4.mul */, sum: 0xe4 /* f32x4.add */ };
}

/**
 * Emits the register-blocked micro-kernel shared by the GEMM modules: the 4×8 block of dot products of rows
 * i..i+3 of x with columns j..j+7 of yT (the panel of j, see gemmModuleBytes), left in the 8 accumulators ACC..ACC+7
 * (row r, half c in ACC + 2r + c). Sums in step order (float32: t order). Measured on V8 (Node 20, AMD EPYC Zen 5)
 * and kept, the plain float32 kernel at d = 100: 4×8 48 GFLOP/s, 2×16 49; every larger block V8 allocates worse
 * (5×8 24, 6×8 28, 3×12 22, 4×12 28, 3×16 28); unrolling t by 2 or 4 ran at 28. The screening kernel
 * (screen-module.ts) runs the same block on int16 pairs.
 */
export function emitBlockDots(f: ByteWriter, e: BlockDotElement, L: BlockDotLocals): void {
  const { X, YT, I, J, T, XP, YP, ACC, Y0, Y1, XS } = L;
  const { get, set, i32c, simd, loopStart, loopEnd, inc } = functionOps(f);
  const add = () => f.byte(0x6a);
  const mul = () => f.byte(0x6c);
  const v128load = (offset: number) => simd(0x00).u32(4).u32(offset);
  const V128_LOAD32_SPLAT = 0x09;
  for (let a = 0; a < 8; a++) {
    simd(0x0c).bytes(new Uint8Array(16)); // v128.const 0
    set(ACC + a);
  }
  // xp = x + i·rowBytes; yp = yT + j·rowBytes
  get(X);
  get(I);
  i32c(e.rowBytes);
  mul();
  add();
  set(XP);
  get(YT);
  get(J);
  i32c(e.rowBytes);
  mul();
  add();
  set(YP);
  i32c(0);
  set(T);
  loopStart();
  get(T);
  i32c(e.steps);
  f.byte(0x4f).byte(0x0d).u32(1);
  get(YP);
  v128load(0);
  set(Y0);
  get(YP);
  v128load(16);
  set(Y1);
  for (let r = 0; r < 4; r++) {
    get(XP);
    // v128.load32_splat (offset r·rowBytes): one broadcast load. An f32.load and an f32x4.splat cost a shuffle
    // as well, on the ports the multiplies and adds need: 36 GFLOP/s then, 43 now (d = 100, Node 20, Zen 5).
    simd(V128_LOAD32_SPLAT).u32(2).u32(r * e.rowBytes);
    set(XS);
    for (let c = 0; c < 2; c++) {
      const acc = ACC + r * 2 + c;
      get(acc);
      get(XS);
      get(c === 0 ? Y0 : Y1);
      simd(e.product);
      simd(e.sum);
      set(acc);
    }
  }
  inc(XP, 4);
  inc(YP, 32);
  inc(T, 1);
  loopEnd();
}
