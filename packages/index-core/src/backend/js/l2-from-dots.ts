/**
 * Turns dot products into squared L2 distances ‖x‖² + ‖y‖² − 2<x, y>, clamped at 0 (rounding can make tiny
 * negatives; a distance is never < 0), in place: rows i0..i1 of x against columns j0..j1 of y, row i at
 * buf[base + (i − i0)·stride ..]. One definition for the score tiles (dot-tile.ts) and the scores the k-NN kernel
 * selects in the GEMM's own memory (wasm/simd-gemm.ts runTopK): both give the same float32 values.
 */
export function dotsToL2(buf: Float32Array, i0: number, i1: number, j0: number, j1: number, xn: Float32Array, yn: Float32Array, base = 0, stride = j1 - j0): void {
  const w = j1 - j0;
  for (let i = i0; i < i1; i++) {
    const o = base + (i - i0) * stride;
    const a = xn[i];
    for (let j = 0; j < w; j++) {
      const v = a + yn[j0 + j] - 2 * buf[o + j];
      buf[o + j] = v > 0 ? v : 0;
    }
  }
}
