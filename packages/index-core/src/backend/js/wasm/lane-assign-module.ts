import { ByteWriter, I32, V128, functionOps, oneFunctionModule } from './bytes.js';
import { emitNearestStep } from './nearest-step.js';

/**
 * Emits a WebAssembly SIMD module with one export, `assign(x, groups, c, k, labels, dists)`: the nearest of k
 * centroids in L2 for 4·groups points of `dim` dimensions (a compile-time constant, 1..LANE_DIM_MAX: PQ sub-spaces),
 * four points at a time, one per SIMD lane.
 *
 * Points lie row-major at x; coordinate t of the group's 4 points is gathered into one v128 once per group.
 * Centroids lie row-major at c, each coordinate broadcast from memory (v128.load32_splat) as the centroids go by, so
 * one centroid's distance to the 4 points is dim subtract-multiply-adds with no shuffle, and the 4 lanes need no
 * reduction at the end (small-assign-module.ts puts centroids in lanes instead: a block of 4 centroids per step,
 * then a scalar reduction per point). Sums are float32 in t order, Σ_t (x_t − c_t)², as the direct formula, the
 * same sums as small-assign-module.ts; strict < keeps the lower centroid on ties. Writes each group's 4 labels
 * (i32) and squared distances (f32) with one v128 store each at labels + 16·g, dists + 16·g.
 */
export function laneAssignModuleBytes(dim: number): Uint8Array {
  // params 0 x, 1 groups, 2 c, 3 k, 4 labels, 5 dists
  // locals: 6 g, 7 j, 8 xp, 9 cp (i32); 10 acc, 11 d, 12 best, 13 bidx, 14 idx (j in every lane), 15 m, 16.. xs_t (v128)
  const X = 0, GROUPS = 1, C = 2, K = 3, LABELS = 4, DISTS = 5;
  const G = 6, J = 7, XP = 8, CP = 9, ACC = 10, D = 11, BEST = 12, BIDX = 13, IDX = 14, M = 15, XS = 16;
  const f = new ByteWriter();
  f.u32(2).u32(4).byte(I32).u32(6 + dim).byte(V128);
  const { get, set, i32c, simd, vconst, loopStart, loopEnd, exitIfGe } = functionOps(f);
  const I32_ADD = 0x6a, I32_MUL = 0x6c;
  const V128_LOAD32_SPLAT = 0x09, V128_LOAD32_LANE = 0x56, V128_STORE = 0x0b;

  get(X);
  set(XP);
  loopStart(); // groups of 4 points
  exitIfGe(G, GROUPS);
  // xs_t = (x[p0][t], x[p1][t], x[p2][t], x[p3][t]), p_l = 4g + l
  for (let t = 0; t < dim; t++) {
    get(XP);
    simd(V128_LOAD32_SPLAT).u32(2).u32(4 * t);
    for (let l = 1; l < 4; l++) {
      set(XS + t);
      get(XP);
      get(XS + t);
      simd(V128_LOAD32_LANE).u32(2).u32(4 * (l * dim + t)).byte(l);
    }
    set(XS + t);
  }
  vconst([Infinity, Infinity, Infinity, Infinity], true);
  set(BEST);
  vconst([-1, -1, -1, -1], false);
  set(BIDX);
  vconst([0, 0, 0, 0], false);
  set(IDX);
  get(C);
  set(CP);
  i32c(0);
  set(J);
  loopStart(); // centroids
  exitIfGe(J, K);
  // centroid j (each coordinate broadcast from memory) against the 4 points
  emitNearestStep(f, dim, { XS, ACC, D, BEST, BIDX, IDX, M }, (t) => {
    get(CP);
    simd(V128_LOAD32_SPLAT).u32(2).u32(4 * t);
  }, 1);
  get(CP);
  i32c(4 * dim);
  f.byte(I32_ADD);
  set(CP);
  get(J);
  i32c(1);
  f.byte(I32_ADD);
  set(J);
  loopEnd();
  for (const [out, v] of [[LABELS, BIDX], [DISTS, BEST]] as const) {
    get(out);
    get(G);
    i32c(16);
    f.byte(I32_MUL);
    f.byte(I32_ADD);
    get(v);
    simd(V128_STORE).u32(4).u32(0);
  }
  get(XP);
  i32c(16 * dim);
  f.byte(I32_ADD);
  set(XP);
  get(G);
  i32c(1);
  f.byte(I32_ADD);
  set(G);
  loopEnd();
  f.byte(0x0b);
  return oneFunctionModule('assign', [I32, I32, I32, I32, I32, I32], [], f);
}
