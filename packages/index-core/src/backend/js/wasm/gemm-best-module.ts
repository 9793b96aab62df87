import { ByteWriter, I32, F32, V128, functionOps, oneFunctionModule } from './bytes.js';
import { emitBlockDots, float32Dots } from './gemm-module.js';

/**
 * Emits a WebAssembly SIMD module with one export, `best(x, yT, beta, lanes, rows, cols, alpha)`: the GEMM of
 * gemm-module.ts with the arg-max folded in, for assignments (k-means, IVF lists, k = 1 search), so that no
 * score tile is written out and read back:
 *
 *   score(i, j) = alpha · <x_i, y_j> − beta[j]       (ip: alpha 1, beta 0; l2: alpha 2, beta ‖y_j‖², the
 *                                                     arg-max of which is the arg-min of ‖x_i − y_j‖²)
 *
 * For each row i the kernel keeps, per SIMD lane, the best score over the columns of that lane and its column
 * (strict >, so the lower column on ties), and stores them at lanes + i·32: 4 float32 scores, 4 int32 columns.
 * Padding columns must have beta = +∞. The caller reduces the 4 lanes (best score, lower column on ties).
 */
export function gemmBestModuleBytes(dimP: number): Uint8Array {

  // params 0 x, 1 yT, 2 beta, 3 lanes, 4 rows, 5 cols, 6 alpha (f32)
  // locals: 7 i, 8 j, 9 t, 10 xp, 11 yp, 12 lp (i32); 13..20 acc, 21 y0, 22 y1, 23 xs, 24 cand, 25 m, 26 av, 27..34 best/idx of rows 0..3 (v128)
  const X = 0, YT = 1, BETA = 2, LANES = 3, ROWS = 4, COLS = 5, ALPHA = 6;
  const I = 7, J = 8, T = 9, XP = 10, YP = 11, LP = 12, ACC = 13, Y0 = 21, Y1 = 22, XS = 23, CAND = 24, M = 25, AV = 26, BEST = 27;
  const f = new ByteWriter();
  f.u32(2).u32(6).byte(I32).u32(22).byte(V128);
  const { get, set, i32c, simd, vconst, loopStart, loopEnd, exitIfGe, inc } = functionOps(f);
  const v128load = (offset: number) => simd(0x00).u32(4).u32(offset);
  const v128store = (offset: number) => simd(0x0b).u32(4).u32(offset);
  const F32X4_SPLAT = 0x13, I32X4_SPLAT = 0x11, F32X4_GT = 0x44, BITSELECT = 0x52, F32X4_SUB = 0xe5, F32X4_MUL = 0xe6, I32X4_ADD = 0xae;

  get(ALPHA);
  simd(F32X4_SPLAT);
  set(AV);
  i32c(0);
  set(I);
  loopStart();
  exitIfGe(I, ROWS);
  for (let r = 0; r < 4; r++) {
    vconst([-Infinity, -Infinity, -Infinity, -Infinity], true);
    set(BEST + 2 * r);
    vconst([-1, -1, -1, -1], false);
    set(BEST + 2 * r + 1);
  }
  i32c(0);
  set(J);
  loopStart();
  exitIfGe(J, COLS);
  emitBlockDots(f, float32Dots(dimP), { X, YT, I, J, T, XP, YP, ACC, Y0, Y1, XS });
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 2; c++) {
      // cand = alpha·acc − beta[j + 4c ..]; m = cand > best; best, idx = m ? cand, j + 4c + lane : best, idx
      get(ACC + 2 * r + c);
      get(AV);
      simd(F32X4_MUL);
      get(BETA);
      get(J);
      i32c(4);
      f.byte(0x6c); // i32.mul
      f.byte(0x6a); // i32.add
      v128load(16 * c);
      simd(F32X4_SUB);
      set(CAND);
      get(CAND);
      get(BEST + 2 * r);
      simd(F32X4_GT);
      set(M);
      get(CAND);
      get(BEST + 2 * r);
      get(M);
      simd(BITSELECT);
      set(BEST + 2 * r);
      get(J);
      simd(I32X4_SPLAT);
      vconst([4 * c, 4 * c + 1, 4 * c + 2, 4 * c + 3], false);
      simd(I32X4_ADD);
      get(BEST + 2 * r + 1);
      get(M);
      simd(BITSELECT);
      set(BEST + 2 * r + 1);
    }
  }
  inc(J, 8);
  loopEnd();
  // lanes + (i + r)·32: the row's 4 best scores, then their 4 columns
  for (let r = 0; r < 4; r++) {
    get(LANES);
    get(I);
    i32c(r);
    f.byte(0x6a);
    i32c(32);
    f.byte(0x6c);
    f.byte(0x6a);
    set(LP);
    get(LP);
    get(BEST + 2 * r);
    v128store(0);
    get(LP);
    get(BEST + 2 * r + 1);
    v128store(16);
  }
  inc(I, 4);
  loopEnd();
  f.byte(0x0b);
  return oneFunctionModule('best', [I32, I32, I32, I32, I32, I32, F32], [], f);
}
