import { ByteWriter, I32, F32, V128, functionOps, oneFunctionModule } from './bytes.js';
import { emitNearestStep } from './nearest-step.js';

/**
 * Emits a WebAssembly SIMD module with one export, `assign(x, n, cT, kBlocks, labels, dists)`: the nearest of
 * 4·kBlocks centroids in L2 for each of n points of `dim` dimensions (dim a compile-time constant, 1..16: PQ
 * sub-spaces), the kernel of PQ training and encoding.
 *
 * Centroids come in blocks of 4, transposed (cT[b][t] = the t-th coordinates of centroids 4b..4b+3, one v128),
 * so one block's 4 squared distances are dim subtract-multiply-adds of 4 lanes against the point's coordinates
 * splatted once per point. Sums are float32 in t order, Σ_t (x_t − c_t)², as the direct formula (not the norm
 * expansion), so they are exact enough for nearest-codeword choices. Each lane keeps its best (strict <: the lower
 * centroid on ties); the 4 lanes are then reduced to the best score, the lower centroid on ties. Padding
 * centroids must be +∞ in every coordinate (their distance is +∞).
 */
export function smallAssignModuleBytes(dim: number): Uint8Array {

  // params 0 x, 1 n, 2 cT, 3 kBlocks, 4 labels, 5 dists
  // locals: 6 i, 7 b, 8 cp, 9 bi, 10 li (i32); 11 bv, 12 lv (f32); 13 acc, 14 d, 15 best, 16 idx, 17 m, 18 bidx, 19.. xs_t (v128)
  const X = 0, N = 1, CT = 2, KB = 3, LABELS = 4, DISTS = 5;
  const I = 6, B = 7, CP = 8, BI = 9, LI = 10, BV = 11, LV = 12, ACC = 13, D = 14, BEST = 15, IDX = 16, M = 17, BIDX = 18, XS = 19;
  const f = new ByteWriter();
  f.u32(3).u32(5).byte(I32).u32(2).byte(F32).u32(6 + dim).byte(V128);
  const { get, set, i32c, simd, vconst, loopStart, loopEnd, exitIfGe } = functionOps(f);
  const F32X4_SPLAT = 0x13;
  const F32X4_EXTRACT = 0x1f, I32X4_EXTRACT = 0x1b;

  loopStart(); // points
  exitIfGe(I, N);
  // xs_t = splat(x[i·dim + t])
  for (let t = 0; t < dim; t++) {
    get(X);
    get(I);
    i32c(dim * 4);
    f.byte(0x6c);
    f.byte(0x6a);
    f.byte(0x2a).u32(2).u32(4 * t); // f32.load
    simd(F32X4_SPLAT);
    set(XS + t);
  }
  vconst([Infinity, Infinity, Infinity, Infinity], true);
  set(BEST);
  vconst([-1, -1, -1, -1], false);
  set(BIDX);
  vconst([0, 1, 2, 3], false);
  set(IDX);
  get(CT);
  set(CP);
  i32c(0);
  set(B);
  loopStart(); // centroid blocks
  exitIfGe(B, KB);
  // the block's 4 centroids (cT[b][t] one v128 each) against the point
  emitNearestStep(f, dim, { XS, ACC, D, BEST, BIDX, IDX, M }, (t) => {
    get(CP);
    simd(0x00).u32(4).u32(16 * t); // v128.load
  }, 4);
  get(CP);
  i32c(16 * dim);
  f.byte(0x6a);
  set(CP);
  get(B);
  i32c(1);
  f.byte(0x6a);
  set(B);
  loopEnd();
  // reduce the 4 lanes: the smallest score, the lower centroid on ties
  get(BEST);
  simd(F32X4_EXTRACT).byte(0);
  set(BV);
  get(BIDX);
  simd(I32X4_EXTRACT).byte(0);
  set(BI);
  for (let l = 1; l < 4; l++) {
    get(BEST);
    simd(F32X4_EXTRACT).byte(l);
    set(LV);
    get(BIDX);
    simd(I32X4_EXTRACT).byte(l);
    set(LI);
    // take = lv < bv || (lv == bv && li < bi), with li ≥ 0 (a lane that never took a centroid has li = −1)
    get(LV);
    get(BV);
    f.byte(0x5d); // f32.lt
    get(LV);
    get(BV);
    f.byte(0x5b); // f32.eq
    get(LI);
    get(BI);
    f.byte(0x48); // i32.lt_s
    get(LI);
    i32c(0);
    f.byte(0x4e); // i32.ge_s
    f.byte(0x71); // and
    f.byte(0x71); // and
    f.byte(0x72); // or
    f.byte(0x04).byte(0x40); // if
    get(LV);
    set(BV);
    get(LI);
    set(BI);
    f.byte(0x0b);
  }
  get(LABELS);
  get(I);
  i32c(4);
  f.byte(0x6c);
  f.byte(0x6a);
  get(BI);
  f.byte(0x36).u32(2).u32(0); // i32.store
  get(DISTS);
  get(I);
  i32c(4);
  f.byte(0x6c);
  f.byte(0x6a);
  get(BV);
  f.byte(0x38).u32(2).u32(0); // f32.store
  get(I);
  i32c(1);
  f.byte(0x6a);
  set(I);
  loopEnd();
  f.byte(0x0b);
  return oneFunctionModule('assign', [I32, I32, I32, I32, I32, I32], [], f);
}
