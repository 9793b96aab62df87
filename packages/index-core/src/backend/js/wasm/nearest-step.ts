import { type ByteWriter, functionOps } from './bytes.js';

/** The v128 locals emitNearestStep uses (XS is the first of dim: the points' coordinates as the kernel holds them). */
export interface NearestStepLocals {
  XS: number;
  ACC: number;
  D: number;
  BEST: number;
  BIDX: number;
  IDX: number;
  M: number;
}

/**
 * Emits one step of the small-dimension assignment kernels (small-assign-module.ts: 4 centroids against one point;
 * lane-assign-module.ts: one centroid against 4 points): the 4 lanes' squared distances
 * acc = (((xs_0 − c_0)² + (xs_1 − c_1)²) + …), float32 in t order, where `loadCentroid(t)` pushes the centroid
 * coordinates of the lanes; then each lane keeps the smaller of acc and BEST (strict <: the earlier centroid on
 * ties) with its centroid number from IDX into BIDX, and IDX advances by idxStep in every lane.
 */
export function emitNearestStep(f: ByteWriter, dim: number, L: NearestStepLocals, loadCentroid: (t: number) => void, idxStep: number): void {
  const { XS, ACC, D, BEST, BIDX, IDX, M } = L;
  const { get, set, simd, vconst } = functionOps(f);
  const F32X4_LT = 0x43, BITSELECT = 0x52, F32X4_ADD = 0xe4, F32X4_SUB = 0xe5, F32X4_MUL = 0xe6, I32X4_ADD = 0xae;
  for (let t = 0; t < dim; t++) {
    get(XS + t);
    loadCentroid(t);
    simd(F32X4_SUB);
    set(D);
    if (t > 0) get(ACC);
    get(D);
    get(D);
    simd(F32X4_MUL);
    if (t > 0) simd(F32X4_ADD);
    set(ACC);
  }
  // m = acc < best; best, bidx = m ? acc, idx : best, bidx; idx += idxStep
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
  vconst([idxStep, idxStep, idxStep, idxStep], false);
  simd(I32X4_ADD);
  set(IDX);
}
