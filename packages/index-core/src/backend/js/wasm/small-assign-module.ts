import { ByteWriter, I32, V128, functionOps, oneFunctionModule } from './bytes.js';

/**
 * Emits a WebAssembly SIMD module with one export, `assign(x, groups, c, k, labels, dists)`: the nearest of k
 * centroids in L2 for 4·groups points of `dim` dimensions (a compile-time constant, 1..16: PQ sub-spaces), the kernel
 * of PQ training and encoding, four points at a time, one per SIMD lane.
 *
 * Points lie row-major at x; coordinate t of the group's 4 points is gathered into one v128 once per group.
 * Centroids lie row-major at c, each coordinate broadcast from memory (v128.load32_splat) as the centroids go by, so
 * one centroid's distance to the 4 points is dim subtract-multiply-adds with no shuffle, and the 4 lanes need no
 * reduction at the end. Sums are float32 in t order, Σ_t (x_t − c_t)², as the direct formula (not the norm
 * expansion), so they are exact enough for nearest-codeword choices; strict < keeps the lower centroid on ties.
 * Writes each group's 4 labels (i32) and squared distances (f32) with one v128 store each at labels + 16·g,
 * dists + 16·g.
 *
 * It replaced a kernel with 4 centroids in the lanes against one point, whose per-point reduction of the lanes
 * branched unpredictably on real data (same sums, same results): 340,479 random points, 16 centroids, dsub 2 / 5 /
 * 8 / 10 / 12 / 16: 3.6 → 2.5, 4.5 → 3.6, 7.3 → 5.7, 8.9 → 6.8, 10.0 → 8.0, 13.0 → 10.3 ms; 256 centroids, dsub 5 / 12:
 * 63 → 59, 113 → 100 ms. A js add on GloVe (340,479 vectors, IVF1024): 2.02–2.15 → 1.77–1.92 s for PQ20x4fs,
 * 2.37–2.54 → 2.10–2.19 s for PQ50x4fsr.
 */
export function smallAssignModuleBytes(dim: number): Uint8Array {
  // params 0 x, 1 groups, 2 c, 3 k, 4 labels, 5 dists
  // locals: 6 g, 7 j, 8 xp, 9 cp (i32); 10 acc, 11 d, 12 best, 13 bidx, 14 idx (j in every lane), 15 m, 16.. xs_t (v128)
  const X = 0, GROUPS = 1, C = 2, K = 3, LABELS = 4, DISTS = 5;
  const G = 6, J = 7, XP = 8, CP = 9, ACC = 10, D = 11, BEST = 12, BIDX = 13, IDX = 14, M = 15, XS = 16;
  const f = new ByteWriter();
  f.u32(2).u32(4).byte(I32).u32(6 + dim).byte(V128);
  const { get, set, i32c, simd, vconst, loopStart, loopEnd, exitIfGe, inc } = functionOps(f);
  const I32_ADD = 0x6a, I32_MUL = 0x6c;
  const V128_LOAD32_SPLAT = 0x09, V128_LOAD32_LANE = 0x56, V128_STORE = 0x0b, F32X4_LT = 0x43, BITSELECT = 0x52;
  const F32X4_ADD = 0xe4, F32X4_SUB = 0xe5, F32X4_MUL = 0xe6, I32X4_ADD = 0xae;

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
  // acc = (((x_0 − c_0)² + (x_1 − c_1)²) + …): centroid j (each coordinate broadcast from memory) against the 4 points
  for (let t = 0; t < dim; t++) {
    get(XS + t);
    get(CP);
    simd(V128_LOAD32_SPLAT).u32(2).u32(4 * t);
    simd(F32X4_SUB);
    set(D);
    if (t > 0) get(ACC);
    get(D);
    get(D);
    simd(F32X4_MUL);
    if (t > 0) simd(F32X4_ADD);
    set(ACC);
  }
  // m = acc < best; best, bidx = m ? acc, j : best, bidx; idx += 1
  get(ACC);
  get(BEST);
  simd(F32X4_LT);
  set(M);
  get(ACC);
  get(BEST);
  get(M);
  simd(BITSELECT);
  set(BEST);
  get(IDX);
  get(BIDX);
  get(M);
  simd(BITSELECT);
  set(BIDX);
  get(IDX);
  vconst([1, 1, 1, 1], false);
  simd(I32X4_ADD);
  set(IDX);
  inc(CP, 4 * dim);
  inc(J, 1);
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
  inc(XP, 16 * dim);
  inc(G, 1);
  loopEnd();
  f.byte(0x0b);
  return oneFunctionModule('assign', [I32, I32, I32, I32, I32, I32], [], f);
}
