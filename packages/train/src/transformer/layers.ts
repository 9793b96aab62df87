import type { Floats } from '../grad/types.js';
import { loopAbt, transposed, type Dense } from './dense.js';

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

/** A per-head product (at most L x L outputs): plain loops, in the dense path's precision. */
function small(dense: Dense, a: Floats, b: Floats, m: number, n: number, k: number): Floats {
  return loopAbt(a, b, m, n, k, dense.alloc(m * n));
}

/** Copies head h of sequence b (L x hd) out of a T x H matrix, rows contiguous. */
function headOf(dense: Dense, x: Floats, b: number, h: number, s: AttentionShape): Floats {
  const { L, H, heads } = s;
  const hd = H / heads;
  const out = dense.alloc(L * hd);
  for (let i = 0; i < L; i++) {
    const o = (b * L + i) * H + h * hd;
    for (let c = 0; c < hd; c++) out[i * hd + c] = x[o + c];
  }
  return out;
}

/** Adds an L x hd head matrix back into head h of sequence b of a T x H matrix. */
function addHead(x: Floats, head: Floats, b: number, h: number, s: AttentionShape): void {
  const { L, H, heads } = s;
  const hd = H / heads;
  for (let i = 0; i < L; i++) {
    const o = (b * L + i) * H + h * hd;
    for (let c = 0; c < hd; c++) x[o + c] += head[i * hd + c];
  }
}

/**
 * Multi-head self-attention core: per sequence and head, p = softmax(q kᵀ / √d + mask), ctx = p v, with q, k, v
 * (T x H, heads side by side as BERT lays them out). Padded keys (mask 0) get probability 0 — Hugging Face adds a
 * large negative number, the same in float32 — unless a sequence has no real token, where (as there) every key
 * counts alike. The per-head products are small (L x L) and run in plain loops. Returns ctx (T x H) and p (B x heads x L x L).
 */
export function attentionForward(dense: Dense, q: Floats, k: Floats, v: Floats, mask: ArrayLike<number>, s: AttentionShape): { ctx: Floats; p: Floats } {
  const { B, L, H, heads } = s;
  const hd = H / heads;
  const scale = 1 / Math.sqrt(hd);
  const ctx = dense.alloc(B * L * H);
  const p = dense.alloc(B * heads * L * L);
  for (let b = 0; b < B; b++) {
    let any = false;
    for (let j = 0; j < L; j++) if (mask[b * L + j] !== 0) any = true;
    for (let h = 0; h < heads; h++) {
      const scores = small(dense, headOf(dense, q, b, h, s), headOf(dense, k, b, h, s), L, L, hd);
      const pBase = (b * heads + h) * L * L;
      for (let i = 0; i < L; i++) {
        const o = i * L;
        let max = -Infinity;
        for (let j = 0; j < L; j++) {
          const x = any && mask[b * L + j] === 0 ? -Infinity : scores[o + j] * scale;
          scores[o + j] = x;
          if (x > max) max = x;
        }
        let z = 0;
        for (let j = 0; j < L; j++) {
          const e = scores[o + j] === -Infinity ? 0 : Math.exp(scores[o + j] - max);
          scores[o + j] = e;
          z += e;
        }
        const inv = 1 / z;
        for (let j = 0; j < L; j++) p[pBase + o + j] = scores[o + j] * inv;
      }
      // ctx_h = p vᵀᵀ: p (L x L) against v_h transposed (hd x L).
      const vT = transposed(headOf(dense, v, b, h, s), L, hd);
      addHead(ctx, small(dense, p.subarray(pBase, pBase + L * L), vT, L, hd, L), b, h, s);
    }
  }
  return { ctx, p };
}

/**
 * Backward of attentionForward, per sequence and head: dp = dctx vᵀ, ds = p (dp − Σ_j p dp)
 * (softmax), dq = ds k / √d, dk = dsᵀ q / √d, dv = pᵀ dctx.
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
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < heads; h++) {
      const P = p.subarray((b * heads + h) * L * L, (b * heads + h + 1) * L * L);
      const dc = headOf(dense, dctx, b, h, s);
      const dp = small(dense, dc, headOf(dense, v, b, h, s), L, L, hd);
      // dv_h = pᵀ dctx_h: pᵀ (L x L) against dctx_h transposed (hd x L).
      addHead(dv, small(dense, transposed(P, L, L), transposed(dc, L, hd), L, hd, L), b, h, s);
      for (let i = 0; i < L; i++) {
        const o = i * L;
        let sum = 0;
        for (let j = 0; j < L; j++) sum += P[o + j] * dp[o + j];
        for (let j = 0; j < L; j++) dp[o + j] = P[o + j] * (dp[o + j] - sum) * scale; // now ds
      }
      addHead(dq, small(dense, dp, transposed(headOf(dense, k, b, h, s), L, hd), L, hd, L), b, h, s);
      addHead(dk, small(dense, transposed(dp, L, L), transposed(headOf(dense, q, b, h, s), L, hd), L, hd, L), b, h, s);
    }
  }
  return { dq, dk, dv };
}
