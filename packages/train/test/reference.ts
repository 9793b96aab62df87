/**
 * An independent float64 reference of the learnable-index forward pass, written plainly (no shared code with
 * src/) so that the hand-written backward pass can be checked against central finite differences of it.
 * Parameters are packed in one Float64Array theta so one loop can difference every coordinate.
 */
export interface RefConfig {
  metric: 'ip' | 'l2';
  loss: 'contras' | 'distill';
  tau: number;
  assignT: number;
  B: number;
  N: number;
  dIn: number;
  dOut: number;
  hasRot: boolean;
  nlist: number; // 0 = no IVF
  M: number; // 0 = no PQ
  ksub: number;
  positives: number[];
  lists: number[];
  teacherQ: Float64Array;
  teacherD: Float64Array;
  dT: number;
  weights: { dense: number; ivf: number; pq: number };
  /** Fixed codes (JPQ) instead of nearest-codeword choice. */
  fixedCodes: number[] | null;
}

export interface Layout {
  q: number;
  d: number;
  c: number;
  cb: number;
  r: number;
  size: number;
}

export function layout(cfg: RefConfig): Layout {
  const q = 0;
  const d = q + cfg.B * cfg.dIn;
  const c = d + cfg.N * cfg.dIn;
  const cb = c + cfg.nlist * cfg.dOut;
  const r = cb + (cfg.M ? cfg.M * cfg.ksub * (cfg.dOut / cfg.M) : 0);
  const size = r + (cfg.hasRot ? cfg.dOut * cfg.dIn : 0);
  return { q, d, c, cb, r, size };
}

function mv(th: Float64Array, L: Layout, cfg: RefConfig, x: number[]): number[] {
  if (!cfg.hasRot) return x.slice();
  const y: number[] = [];
  for (let a = 0; a < cfg.dOut; a++) {
    let s = 0;
    for (let b = 0; b < cfg.dIn; b++) s += th[L.r + a * cfg.dIn + b] * x[b];
    y.push(s);
  }
  return y;
}

function sc(metric: 'ip' | 'l2', a: number[], b: number[]): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += metric === 'ip' ? a[k] * b[k] : -((a[k] - b[k]) ** 2);
  return s;
}

function logSoftmax(row: number[]): number[] {
  const lse = Math.log(row.reduce((acc, z) => acc + Math.exp(z), 0));
  return row.map((z) => z - lse);
}

function lossOf(cfg: RefConfig, S: number[][], T: number[][]): number {
  let L = 0;
  for (let i = 0; i < cfg.B; i++) {
    const ls = logSoftmax(S[i].map((s) => s / cfg.tau));
    if (cfg.loss === 'contras') L -= ls[cfg.positives[i]];
    else {
      const lt = logSoftmax(T[i].map((s) => s / cfg.tau));
      for (let j = 0; j < cfg.N; j++) L -= Math.exp(lt[j]) * ls[j];
    }
  }
  return L / cfg.B;
}

/** Soft assignment probabilities of residual sub-vector rm against codebook m. */
function softAssign(th: Float64Array, L: Layout, cfg: RefConfig, m: number, rm: number[]): number[] {
  const dsub = cfg.dOut / cfg.M;
  const z: number[] = [];
  for (let k = 0; k < cfg.ksub; k++) {
    let dist = 0;
    for (let t = 0; t < dsub; t++) dist += (rm[t] - th[L.cb + (m * cfg.ksub + k) * dsub + t]) ** 2;
    z.push(-dist / cfg.assignT);
  }
  const ls = logSoftmax(z);
  return ls.map(Math.exp);
}

export interface Frozen {
  hard: number[]; // N*M chosen codes
  p0: number[][]; // N*M rows of ksub soft probabilities at theta0
}

/** Hard codes and soft probabilities at theta (to be frozen for the straight-through surrogate). */
export function freeze(th: Float64Array, cfg: RefConfig): Frozen {
  const L = layout(cfg);
  const hard: number[] = [];
  const p0: number[][] = [];
  const dsub = cfg.dOut / cfg.M;
  for (let j = 0; j < cfg.N; j++) {
    const dr = mv(th, L, cfg, Array.from(th.subarray(L.d + j * cfg.dIn, L.d + (j + 1) * cfg.dIn)));
    for (let m = 0; m < cfg.M; m++) {
      const rm: number[] = [];
      for (let t = 0; t < dsub; t++) {
        const a = m * dsub + t;
        rm.push(dr[a] - (cfg.nlist ? th[L.c + cfg.lists[j] * cfg.dOut + a] : 0));
      }
      const p = softAssign(th, L, cfg, m, rm);
      p0.push(p);
      let best = 0;
      for (let k = 1; k < cfg.ksub; k++) {
        const dk = dist2(th, L, cfg, m, k, rm);
        if (dk < dist2(th, L, cfg, m, best, rm)) best = k;
      }
      hard.push(best);
    }
  }
  return { hard, p0 };
}

function dist2(th: Float64Array, L: Layout, cfg: RefConfig, m: number, k: number, rm: number[]): number {
  const dsub = cfg.dOut / cfg.M;
  let s = 0;
  for (let t = 0; t < dsub; t++) s += (rm[t] - th[L.cb + (m * cfg.ksub + k) * dsub + t]) ** 2;
  return s;
}

/**
 * Weighted total loss and the per-kind losses at theta. With `frozen`, the PQ path is the straight-through
 * surrogate q_m = sum_k (h_k - p0_k + p_k(theta)) c_mk(theta), whose value equals the hard quantization at theta0.
 */
export function refLoss(th: Float64Array, cfg: RefConfig, frozen: Frozen | null): { total: number; dense: number; ivf: number; pq: number } {
  const L = layout(cfg);
  const Q: number[][] = [];
  const D: number[][] = [];
  for (let i = 0; i < cfg.B; i++) Q.push(mv(th, L, cfg, Array.from(th.subarray(L.q + i * cfg.dIn, L.q + (i + 1) * cfg.dIn))));
  for (let j = 0; j < cfg.N; j++) D.push(mv(th, L, cfg, Array.from(th.subarray(L.d + j * cfg.dIn, L.d + (j + 1) * cfg.dIn))));
  const cent = (j: number): number[] => {
    const v: number[] = [];
    for (let a = 0; a < cfg.dOut; a++) v.push(cfg.nlist ? th[L.c + cfg.lists[j] * cfg.dOut + a] : 0);
    return v;
  };
  const T: number[][] = [];
  for (let i = 0; i < cfg.B; i++) {
    const row: number[] = [];
    for (let j = 0; j < cfg.N; j++) {
      row.push(sc(cfg.metric, Array.from(cfg.teacherQ.subarray(i * cfg.dT, (i + 1) * cfg.dT)), Array.from(cfg.teacherD.subarray(j * cfg.dT, (j + 1) * cfg.dT))));
    }
    T.push(row);
  }
  const all = (vecs: number[][]): number[][] => Q.map((q) => vecs.map((v) => sc(cfg.metric, q, v)));
  const dense = lossOf(cfg, all(D), T);
  const ivf = cfg.nlist ? lossOf(cfg, all(D.map((_, j) => cent(j))), T) : 0;
  let pq = 0;
  if (cfg.M) {
    const dsub = cfg.dOut / cfg.M;
    const X: number[][] = [];
    for (let j = 0; j < cfg.N; j++) {
      const c = cent(j);
      const x = c.slice();
      for (let m = 0; m < cfg.M; m++) {
        if (cfg.fixedCodes) {
          const k = cfg.fixedCodes[j * cfg.M + m];
          for (let t = 0; t < dsub; t++) x[m * dsub + t] += th[L.cb + (m * cfg.ksub + k) * dsub + t];
          continue;
        }
        const rm: number[] = [];
        for (let t = 0; t < dsub; t++) rm.push(D[j][m * dsub + t] - c[m * dsub + t]);
        const p = softAssign(th, L, cfg, m, rm);
        const f = frozen!;
        for (let k = 0; k < cfg.ksub; k++) {
          const a = (f.hard[j * cfg.M + m] === k ? 1 : 0) - f.p0[j * cfg.M + m][k] + p[k];
          for (let t = 0; t < dsub; t++) x[m * dsub + t] += a * th[L.cb + (m * cfg.ksub + k) * dsub + t];
        }
      }
      X.push(x);
    }
    pq = lossOf(cfg, all(X), T);
  }
  const w = cfg.weights;
  return { total: w.dense * dense + w.ivf * ivf + w.pq * pq, dense, ivf, pq };
}

/** Central finite differences of the total loss in every coordinate of theta. */
export function finiteDiff(th: Float64Array, cfg: RefConfig, frozen: Frozen | null, h = 1e-6): Float64Array {
  const g = new Float64Array(th.length);
  const t = Float64Array.from(th);
  for (let i = 0; i < th.length; i++) {
    t[i] = th[i] + h;
    const up = refLoss(t, cfg, frozen).total;
    t[i] = th[i] - h;
    const down = refLoss(t, cfg, frozen).total;
    t[i] = th[i];
    g[i] = (up - down) / (2 * h);
  }
  return g;
}
