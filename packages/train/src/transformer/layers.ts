import type { Floats } from '../grad/types.js';
import { transposed, type Dense } from './dense.js';

// The layers of a BERT encoder, forward and backward, on row-major token matrices (T rows = batch x sequence).
// Backward functions ADD into the parameter gradients (accumulation across micro-batches) and return the input's.

/** y = x Wᵀ + b for x (T x inDim), W (outDim x inDim, torch's Linear layout), b (outDim). */
export function linearForward(dense: Dense, x: Floats, T: number, W: Floats, b: Floats, inDim: number, outDim: number): Floats {
  const y = dense.abt(x, W, T, outDim, inDim);
  for (let t = 0; t < T; t++) {
    const o = t * outDim;
    for (let j = 0; j < outDim; j++) y[o + j] += b[j];
  }
  return y;
}

/** dx = dy W; dW += dyᵀ x; db += Σ_t dy (dW / db null: that weight is frozen). */
export function linearBackward(
  dense: Dense, dy: Floats, x: Floats, T: number, W: Floats, inDim: number, outDim: number,
  dW: Floats | null, db: Floats | null, needDx = true,
): Floats | null {
  if (dW) {
    const g = dense.abt(transposed(dy, T, outDim), transposed(x, T, inDim), outDim, inDim, T);
    for (let i = 0; i < g.length; i++) dW[i] += g[i];
  }
  if (db) {
    for (let t = 0; t < T; t++) {
      const o = t * outDim;
      for (let j = 0; j < outDim; j++) db[j] += dy[o + j];
    }
  }
  return needDx ? dense.abt(dy, transposed(W, outDim, inDim), T, inDim, outDim) : null;
}

export interface LayerNormSaved {
  /** (x − mean) / √(var + eps), per row. */
  readonly xhat: Floats;
  readonly rstd: Float64Array;
}

/** y = xhat γ + β per row of x (T x H); returns y and what backward needs. */
export function layerNormForward(dense: Dense, x: Floats, T: number, H: number, gamma: Floats, beta: Floats, eps: number): { y: Floats; saved: LayerNormSaved } {
  const y = dense.alloc(T * H);
  const xhat = dense.alloc(T * H);
  const rstd = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const o = t * H;
    let mean = 0;
    for (let j = 0; j < H; j++) mean += x[o + j];
    mean /= H;
    let v = 0;
    for (let j = 0; j < H; j++) {
      const d = x[o + j] - mean;
      v += d * d;
    }
    const r = 1 / Math.sqrt(v / H + eps);
    rstd[t] = r;
    for (let j = 0; j < H; j++) {
      const xh = (x[o + j] - mean) * r;
      xhat[o + j] = xh;
      y[o + j] = xh * gamma[j] + beta[j];
    }
  }
  return { y, saved: { xhat, rstd } };
}

/** dx = rstd (g − mean(g) − xhat mean(g xhat)) with g = dy γ; dγ += Σ dy xhat, dβ += Σ dy. */
export function layerNormBackward(dense: Dense, dy: Floats, s: LayerNormSaved, T: number, H: number, gamma: Floats, dGamma: Floats | null, dBeta: Floats | null): Floats {
  const dx = dense.alloc(T * H);
  const { xhat, rstd } = s;
  for (let t = 0; t < T; t++) {
    const o = t * H;
    let sg = 0;
    let sgx = 0;
    for (let j = 0; j < H; j++) {
      const g = dy[o + j] * gamma[j];
      sg += g;
      sgx += g * xhat[o + j];
      if (dGamma) dGamma[j] += dy[o + j] * xhat[o + j];
      if (dBeta) dBeta[j] += dy[o + j];
    }
    sg /= H;
    sgx /= H;
    const r = rstd[t];
    for (let j = 0; j < H; j++) dx[o + j] = r * (dy[o + j] * gamma[j] - sg - xhat[o + j] * sgx);
  }
  return dx;
}

export interface AttentionShape {
  readonly B: number;
  readonly L: number;
  readonly H: number;
  readonly heads: number;
}

/**
 * Multi-head self-attention core: per sequence and head, p = softmax(q kᵀ / √d + mask), ctx = p v, with q, k, v
 * (T x H, heads side by side as BERT lays them out). Padded keys (mask 0) get probability 0 — Hugging Face adds a
 * large negative number, the same in float32 — unless a sequence has no real token, where (as there) every key
 * counts alike. Returns ctx (T x H) and p (B x heads x L x L).
 */
export function attentionForward(dense: Dense, q: Floats, k: Floats, v: Floats, mask: ArrayLike<number>, s: AttentionShape): { ctx: Floats; p: Floats } {
  const { B, L, H, heads } = s;
  const hd = H / heads;
  const scale = 1 / Math.sqrt(hd);
  const ctx = dense.alloc(B * L * H);
  const p = dense.alloc(B * heads * L * L);
  const row = new Float64Array(L);
  for (let b = 0; b < B; b++) {
    let any = false;
    for (let j = 0; j < L; j++) if (mask[b * L + j] !== 0) any = true;
    for (let h = 0; h < heads; h++) {
      const pBase = (b * heads + h) * L * L;
      for (let i = 0; i < L; i++) {
        const qo = (b * L + i) * H + h * hd;
        let max = -Infinity;
        for (let j = 0; j < L; j++) {
          if (any && mask[b * L + j] === 0) {
            row[j] = -Infinity;
            continue;
          }
          const ko = (b * L + j) * H + h * hd;
          let dot = 0;
          for (let c = 0; c < hd; c++) dot += q[qo + c] * k[ko + c];
          row[j] = dot * scale;
          if (row[j] > max) max = row[j];
        }
        let z = 0;
        for (let j = 0; j < L; j++) {
          const e = row[j] === -Infinity ? 0 : Math.exp(row[j] - max);
          row[j] = e;
          z += e;
        }
        const po = pBase + i * L;
        for (let j = 0; j < L; j++) p[po + j] = row[j] / z;
        for (let j = 0; j < L; j++) {
          const pj = p[po + j];
          if (pj === 0) continue;
          const vo = (b * L + j) * H + h * hd;
          for (let c = 0; c < hd; c++) ctx[qo + c] += pj * v[vo + c];
        }
      }
    }
  }
  return { ctx, p };
}

/**
 * Backward of attentionForward: dp = dctx vᵀ, ds = p (dp − Σ_j p dp) (softmax), dq = ds k / √d, dk = dsᵀ q / √d,
 * dv = pᵀ dctx.
 */
export function attentionBackward(
  dense: Dense, dctx: Floats, q: Floats, k: Floats, v: Floats, p: Floats, s: AttentionShape,
): { dq: Floats; dk: Floats; dv: Floats } {
  const { B, L, H, heads } = s;
  const hd = H / heads;
  const scale = 1 / Math.sqrt(hd);
  const dq = dense.alloc(B * L * H);
  const dk = dense.alloc(B * L * H);
  const dv = dense.alloc(B * L * H);
  const dp = new Float64Array(L);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < heads; h++) {
      const pBase = (b * heads + h) * L * L;
      for (let i = 0; i < L; i++) {
        const io = (b * L + i) * H + h * hd;
        const po = pBase + i * L;
        let sum = 0;
        for (let j = 0; j < L; j++) {
          const pj = p[po + j];
          const jo = (b * L + j) * H + h * hd;
          let d = 0;
          for (let c = 0; c < hd; c++) {
            d += dctx[io + c] * v[jo + c];
            if (pj !== 0) dv[jo + c] += pj * dctx[io + c];
          }
          dp[j] = d;
          sum += pj * d;
        }
        for (let j = 0; j < L; j++) {
          const pj = p[po + j];
          if (pj === 0) continue;
          const ds = pj * (dp[j] - sum) * scale;
          const jo = (b * L + j) * H + h * hd;
          for (let c = 0; c < hd; c++) {
            dq[io + c] += ds * k[jo + c];
            dk[jo + c] += ds * q[io + c];
          }
        }
      }
    }
  }
  return { dq, dk, dv };
}
