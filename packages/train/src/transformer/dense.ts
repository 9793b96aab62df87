import { isTypeScriptModule, mulABt, rowRange, runModuleShares, sharedScratch } from '@libvq/index-core/util';
import type { Floats } from '../grad/types.js';
import { gemmRowsShare, type GemmShare } from './gemm-shares.js';

/**
 * The dense products of a transformer step, in the precision of its arrays: out (m x n) = a (m x k) · bᵀ (b: n x k).
 * float32 runs on index-core's blocked WebAssembly SIMD kernel (~20 GFLOP/s on one core); float64 on plain loops —
 * the precision the finite-difference checks of the gradients need.
 */
export interface Dense {
  readonly dtype: 'float32' | 'float64';
  abt(a: Floats, b: Floats, m: number, n: number, k: number): Floats;
  alloc(n: number): Floats;
}

/** The module the index threads import for their rows: gemm-shares.ts from sources, gemm-shares.js built. */
const SHARES = new URL(isTypeScriptModule(import.meta.url) ? './gemm-shares.ts' : './gemm-shares.js', import.meta.url).href;
/** Below this many multiply-adds a product stays on the calling thread (posting shares costs ~0.1 ms). */
const MIN_WORK = 1 << 21;

/**
 * float32 products on `threads` threads (the calling thread plus index threads): the rows of a split by a shared
 * counter, operands and result in shared memory; the same bytes as one thread.
 */
export function denseFloat32(threads = 1): Dense {
  return {
    dtype: 'float32',
    abt(a, b, m, n, k) {
      const A = a instanceof Float32Array ? a : Float32Array.from(a);
      const B = b instanceof Float32Array ? b : Float32Array.from(b);
      if (threads <= 1 || m * n * k < MIN_WORK || m < 16) {
        return mulABt({ rows: m, dim: k, data: A.subarray(0, m * k) }, { rows: n, dim: k, data: B.subarray(0, n * k) }, 'js').data;
      }
      const sa = sharedScratch('train.gemm.a', Float32Array, m * k);
      sa.set(A.subarray(0, m * k));
      const sb = sharedScratch('train.gemm.b', Float32Array, n * k);
      sb.set(B.subarray(0, n * k));
      const so = sharedScratch('train.gemm.out', Float32Array, m * n);
      const job: GemmShare = { ...rowRange(m, threads, Math.ceil(m / threads)), a: sa, b: sb, out: so, cols: n, k };
      runModuleShares(SHARES, 'gemmRowsShare', Array.from({ length: threads }, () => job), () => gemmRowsShare(job));
      return Float32Array.from(so);
    },
    alloc: (n) => new Float32Array(n),
  };
}

/**
 * out (m x n) = a (m x k) · bᵀ in plain loops, in out's precision: the float64 path's products, and the small
 * per-head products of attention (L x L), where a call into the SIMD kernel costs more than the arithmetic.
 */
export function loopAbt(a: Floats, b: Floats, m: number, n: number, k: number, out: Floats): Floats {
  // Four rows of a against each row of b: each b row is read once per four outputs.
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    for (let j = 0; j < n; j++) {
      const bo = j * k;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let t = 0; t < k; t++) {
        const bv = b[bo + t];
        s0 += a[a0 + t] * bv;
        s1 += a[a1 + t] * bv;
        s2 += a[a2 + t] * bv;
        s3 += a[a3 + t] * bv;
      }
      out[i * n + j] = s0;
      out[(i + 1) * n + j] = s1;
      out[(i + 2) * n + j] = s2;
      out[(i + 3) * n + j] = s3;
    }
  }
  for (; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[i * k + t] * b[j * k + t];
      out[i * n + j] = s;
    }
  }
  return out;
}

export const denseFloat64: Dense = {
  dtype: 'float64',
  abt: (a, b, m, n, k) => loopAbt(a, b, m, n, k, new Float64Array(m * n)),
  alloc: (n) => new Float64Array(n),
};

/** The rows x cols matrix a transposed (cols x rows), in a's precision. */
export function transposed(a: Floats, rows: number, cols: number): Floats {
  const out = a instanceof Float32Array ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  // Tiles of 32 x 32 keep both the reads and the writes within a few cache lines.
  for (let i0 = 0; i0 < rows; i0 += 32) {
    const i1 = Math.min(rows, i0 + 32);
    for (let j0 = 0; j0 < cols; j0 += 32) {
      const j1 = Math.min(cols, j0 + 32);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) out[j * rows + i] = a[i * cols + j];
    }
  }
  return out;
}
