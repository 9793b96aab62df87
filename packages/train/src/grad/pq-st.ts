import type { CodebooksParam } from './types.js';

/**
 * Product quantization of residual rows r (N x M*dsub) with codebooks c (M x ksub x dsub).
 *
 * Forward (hard): code_m = argmin_k ||r_m - c_mk||^2 (L2 as in faiss, first index on ties), and the quantized
 * row is sum_m c_{m,code_m} (placed in sub-space m).
 *
 * Backward, straight-through (LibVQ's Quantization.STEstimator, written out): per row and sub-space
 *   p_k  = softmax_k(z_k),  z_k = -||r_m - c_mk||^2 / T          (soft assignment; T = 1 in LibVQ)
 *   a_k  = h_k - stopgrad(p_k) + p_k                             (h = one-hot of the hard code; value of a = h)
 *   q_m  = sum_k a_k c_mk                                          (value = the hard codeword)
 * so with g = dL/dq_m:
 *   dL/dc_mk   += a_k g = h_k g                                    (direct term: the chosen codeword only)
 *   dL/dp_k     = <g, c_mk>,   dL/dz_k = p_k (<g, c_mk> - sum_j p_j <g, c_mj>)
 *   dL/dr_m    += sum_k dL/dz_k * (-2/T)(r_m - c_mk)
 *   dL/dc_mk   += dL/dz_k * (2/T)(r_m - c_mk)
 * This is exactly the gradient of the surrogate q_m(theta) = sum_k (h_k - p_k(theta0) + p_k(theta)) c_mk(theta)
 * at theta0 with h frozen, which is what the tests difference. The residual gradient then flows on into the
 * rotated document (and the rotation) and, with IVF, negatively into the document's list centroid.
 *
 * Fixed codes (JPQ): the codes are given and held, q_m = c_{m,code_m}; only dL/dc_{m,code_m} += g.
 */

/** Nearest-codeword codes (N x M) of residual rows. */
export function pqAssign(r: Float64Array, N: number, cb: CodebooksParam, codes: Uint8Array): Uint8Array {
  const { M, ksub, dsub, data: c } = cb;
  const d = M * dsub;
  for (let i = 0; i < N; i++) {
    for (let m = 0; m < M; m++) {
      const ro = i * d + m * dsub;
      let best = 0;
      let bestDist = Infinity;
      for (let k = 0; k < ksub; k++) {
        const co = (m * ksub + k) * dsub;
        let dist = 0;
        for (let t = 0; t < dsub; t++) {
          const e = r[ro + t] - c[co + t];
          dist += e * e;
        }
        if (dist < bestDist) {
          bestDist = dist;
          best = k;
        }
      }
      codes[i * M + m] = best;
    }
  }
  return codes;
}

/** out_i += sum_m c_{m, code_im} (out is N x M*dsub). */
export function pqDecodeAdd(codes: Uint8Array, N: number, cb: CodebooksParam, out: Float64Array): void {
  const { M, ksub, dsub, data: c } = cb;
  const d = M * dsub;
  for (let i = 0; i < N; i++) {
    for (let m = 0; m < M; m++) {
      const co = (m * ksub + codes[i * M + m]) * dsub;
      const oo = i * d + m * dsub;
      for (let t = 0; t < dsub; t++) out[oo + t] += c[co + t];
    }
  }
}

/** Fixed-code backward: dC[m, code_im] += g_im. */
export function pqBackwardFixed(codes: Uint8Array, N: number, cb: CodebooksParam, gq: Float64Array, dC: Float64Array): void {
  const { M, ksub, dsub } = cb;
  const d = M * dsub;
  for (let i = 0; i < N; i++) {
    for (let m = 0; m < M; m++) {
      const co = (m * ksub + codes[i * M + m]) * dsub;
      const go = i * d + m * dsub;
      for (let t = 0; t < dsub; t++) dC[co + t] += gq[go + t];
    }
  }
}

/**
 * Straight-through backward (see the file comment). `gq` = dL/dquantized (N x M*dsub). Accumulates into dR
 * (N x M*dsub) and dC (M x ksub x dsub); either may be null.
 */
export function pqBackwardST(
  r: Float64Array,
  codes: Uint8Array,
  N: number,
  cb: CodebooksParam,
  gq: Float64Array,
  assignTemperature: number,
  dR: Float64Array | null,
  dC: Float64Array | null,
): void {
  const { M, ksub, dsub, data: c } = cb;
  const d = M * dsub;
  const z = new Float64Array(ksub);
  const s = new Float64Array(ksub);
  const invT = 1 / assignTemperature;
  for (let i = 0; i < N; i++) {
    for (let m = 0; m < M; m++) {
      const ro = i * d + m * dsub;
      const cm = m * ksub * dsub;
      // direct term: the hard codeword receives g
      if (dC) {
        const co = cm + codes[i * M + m] * dsub;
        for (let t = 0; t < dsub; t++) dC[co + t] += gq[ro + t];
      }
      // soft path: p = softmax(z), s_k = <g, c_mk>
      let zmax = -Infinity;
      for (let k = 0; k < ksub; k++) {
        const co = cm + k * dsub;
        let dist = 0;
        let dot = 0;
        for (let t = 0; t < dsub; t++) {
          const e = r[ro + t] - c[co + t];
          dist += e * e;
          dot += gq[ro + t] * c[co + t];
        }
        z[k] = -dist * invT;
        s[k] = dot;
        if (z[k] > zmax) zmax = z[k];
      }
      let sum = 0;
      for (let k = 0; k < ksub; k++) {
        z[k] = Math.exp(z[k] - zmax);
        sum += z[k];
      }
      let sbar = 0;
      for (let k = 0; k < ksub; k++) {
        z[k] /= sum; // z now holds p
        sbar += z[k] * s[k];
      }
      for (let k = 0; k < ksub; k++) {
        const dz = z[k] * (s[k] - sbar);
        if (dz === 0) continue;
        const f = 2 * invT * dz; // d z_k / d r = -2/T (r - c_k); d z_k / d c_k = +2/T (r - c_k)
        const co = cm + k * dsub;
        for (let t = 0; t < dsub; t++) {
          const e = f * (r[ro + t] - c[co + t]);
          if (dR) dR[ro + t] -= e;
          if (dC) dC[co + t] += e;
        }
      }
    }
  }
}
