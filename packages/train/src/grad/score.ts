import type { Metric } from '@libvq/index-core';

/**
 * Score of every row a_i (B x d) against every row b_j (N x d), float64:
 *   ip: s_ij = <a_i, b_j>            l2: s_ij = -||a_i - b_j||^2   (higher is better in both)
 */
export function scoreRows(
  a: Float64Array,
  B: number,
  b: Float64Array,
  N: number,
  d: number,
  metric: Metric,
  out: Float64Array,
): Float64Array {
  for (let i = 0; i < B; i++) {
    const ao = i * d;
    for (let j = 0; j < N; j++) {
      const bo = j * d;
      let s = 0;
      if (metric === 'ip') {
        for (let k = 0; k < d; k++) s += a[ao + k] * b[bo + k];
      } else {
        for (let k = 0; k < d; k++) {
          const t = a[ao + k] - b[bo + k];
          s -= t * t;
        }
      }
      out[i * N + j] = s;
    }
  }
  return out;
}

/**
 * Backward of scoreRows: given G = dL/dS (B x N) scaled by `weight`, accumulates
 *   ip: dA_i += w * sum_j G_ij b_j            dB_j += w * sum_i G_ij a_i
 *   l2: ds/da = -2(a - b), ds/db = 2(a - b), so
 *       dA_i += -2w (rowsum_i G * a_i - sum_j G_ij b_j)
 *       dB_j +=  2w (sum_i G_ij a_i - colsum_j G * b_j)
 * Either output may be null when that gradient is not needed.
 */
export function scoreRowsBackward(
  a: Float64Array,
  B: number,
  b: Float64Array,
  N: number,
  d: number,
  metric: Metric,
  G: Float64Array,
  weight: number,
  dA: Float64Array | null,
  dB: Float64Array | null,
): void {
  const f = metric === 'ip' ? weight : 2 * weight;
  if (dA) {
    for (let i = 0; i < B; i++) {
      const ao = i * d;
      let rowSum = 0;
      for (let j = 0; j < N; j++) {
        const g = G[i * N + j] * f;
        if (g === 0) continue;
        rowSum += g;
        const bo = j * d;
        for (let k = 0; k < d; k++) dA[ao + k] += g * b[bo + k];
      }
      if (metric === 'l2') for (let k = 0; k < d; k++) dA[ao + k] -= rowSum * a[ao + k];
    }
  }
  if (dB) scoreRowsBackwardB(a, B, b, N, d, metric, G, weight, dB, 0, N);
}

/**
 * The dB part of scoreRowsBackward for document rows [j0, j1): each dB_j sums its terms over i in order, so a
 * split of the rows (score-threads.ts) gives the bytes of the whole.
 */
export function scoreRowsBackwardB(
  a: Float64Array,
  B: number,
  b: Float64Array,
  N: number,
  d: number,
  metric: Metric,
  G: Float64Array,
  weight: number,
  dB: Float64Array,
  j0: number,
  j1: number,
): void {
  const f = metric === 'ip' ? weight : 2 * weight;
  for (let i = 0; i < B; i++) {
    const ao = i * d;
    for (let j = j0; j < j1; j++) {
      const g = G[i * N + j] * f;
      if (g === 0) continue;
      const bo = j * d;
      for (let k = 0; k < d; k++) dB[bo + k] += g * a[ao + k];
    }
  }
  if (metric === 'l2') {
    for (let j = j0; j < j1; j++) {
      let colSum = 0;
      for (let i = 0; i < B; i++) colSum += G[i * N + j] * f;
      const bo = j * d;
      for (let k = 0; k < d; k++) dB[bo + k] -= colSum * b[bo + k];
    }
  }
}
