/// <reference path="./webassembly.d.ts" />
import { compiledKernel, perShape } from './bytes.js';
import { quantizeRowsModuleBytes } from './quantize-rows-module.js';
import { rescoreModuleBytes } from './rescore-module.js';
import { screenModuleBytes } from './screen-module.js';

const PAGE = 65536;
const U = 2 ** -24;
/** A quantized coordinate is within scale·HQ of the value (½ for rounding, 2^-23·Q ≤ 2^-8 for the float32 reciprocal). */
const HQ = 0.5 + 2 ** -7;
/** Candidate-list room per tile (int32 entries): a tile of rows has room for every column of a block in each. */
const CAND_BUDGET = 1 << 18;
/** int16 + float32 values of the columns held at once (a block of columns: ~6 bytes each). */
const COLUMN_BUDGET = 1 << 20;
/** Candidates scored per call of the rescoring kernel. */
const PAIR_CHUNK = 4096;
/**
 * Below this dimension or this many columns the per-row costs (quantizing, staging, rescoring) eat the kernel's gain:
 * against the fused kernel, d = 17 / 20 / 28: 0.94 / 0.96 / 0.92–1.31×, d = 32: 0.93–1.47×, d = 40: 1.45×; 8 columns
 * at d = 100: 0.41×, 16: 1.14×.
 */
export const SCREEN_MIN_DIM = 32;
export const SCREEN_MIN_COLUMNS = 16;

/** Byte offsets of the regions of the kernels' memory, laid out per call. */
interface Layout {
  yf: number; yq: number; colScale: number; beta: number; xf: number; xq: number; scale: number; l1: number; l2: number;
  margin: number; est: number; cand: number; counts: number; pairs: number; sums: number;
}

/**
 * The fused arg-max of bestColumns (dot-tile.ts), the same bytes, in two steps:
 *
 *  1. screening (screen-module.ts): x and y quantized to int16 with one scale per row (quantize-rows-module.ts),
 *     their dot products summed exactly in int32 with 8 multiply-adds per SIMD instruction (the float32 kernel needs
 *     two instructions for 4). Each estimate is within E_i of the float32 score the fused kernel would compute, E_i a
 *     bound from the quantization steps, the rows' norms and float32 rounding (run's margins);
 *  2. every column whose estimate is within 2·E_i of the row's best estimate is scored again exactly as the fused
 *     kernel scores it (rescore-module.ts: float32 products summed in t order, then alpha·sum − beta), and the best
 *     of those, the lower column on ties, is the result.
 *
 * Why it is exact: let m be the column of the best estimate and j* the float32 arg-max. Every score S_j lies within
 * E_i of its estimate e_j, so S_j* ≥ S_m ≥ e_m − E_i. A column with e_j < e_m − 2·E_i has S_j ≤ e_j + E_i <
 * e_m − E_i ≤ S_j*: strictly worse than j*, so never the arg-max, not even on a tie. Hence j* is a candidate, and
 * the exact scores of the candidates pick it with the fused kernel's tie rule. Columns go in blocks (COLUMN_BUDGET);
 * each block's winner is merged as the fused kernel merges its blocks (strict >: the earlier block keeps a tie).
 *
 * Measured against the fused kernel (Node 20, Zen 5, one thread): GloVe-100 rows against 1,024 of them, 1.58–1.64×
 * (65,536 rows: ~300 → ~190 ms; ip and l2); random data 1.08× (16 columns) to 1.76× (d = 256). Rows average ~1.03
 * candidates on GloVe.
 */
export class ScreenedBest {
  readonly dim8: number;
  /** Largest quantized magnitude: dim8·Q² < 2^31, so no int32 sum overflows (and Q ≤ 32767 fits int16). */
  readonly Q: number;
  private readonly memory = new WebAssembly.Memory({ initial: 1 });
  private readonly screen: (xq: number, yq: number, cs: number, beta: number, rs: number, margin: number, rows: number, cols: number, est: number, cand: number, counts: number) => void;
  private readonly quantize: (x: number, rows: number, q: number, scales: number, l1: number, l2: number) => void;
  private readonly rescore: (pairs: number, groups: number, out: number) => void;
  private i16 = new Int16Array(0);
  private f32 = new Float32Array(0);
  private i32 = new Int32Array(0);
  /** Row in the tile and column of each pending candidate. */
  private readonly pairRow = new Int32Array(PAIR_CHUNK);
  private readonly pairCol = new Int32Array(PAIR_CHUNK);

  constructor(readonly dim: number) {
    this.dim8 = Math.ceil(dim / 8) * 8;
    this.Q = Math.min(32767, Math.floor(Math.sqrt((2 ** 31 - 1) / this.dim8)));
    const dimP = Math.ceil(dim / 4) * 4;
    const env = { env: { memory: this.memory } };
    this.screen = new WebAssembly.Instance(compiledKernel(`screen:${this.dim8}`, () => screenModuleBytes(this.dim8)), env).exports.screen as ScreenedBest['screen'];
    this.quantize = new WebAssembly.Instance(compiledKernel(`quantize-rows:${this.dim8}:${this.Q}`, () => quantizeRowsModuleBytes(this.dim8, this.Q)), env).exports
      .quantize as ScreenedBest['quantize'];
    this.rescore = new WebAssembly.Instance(compiledKernel(`rescore:${dimP}`, () => rescoreModuleBytes(dimP)), env).exports.rescore as ScreenedBest['rescore'];
    this.views();
  }

  private views(): void {
    const { buffer } = this.memory;
    this.i16 = new Int16Array(buffer);
    this.f32 = new Float32Array(buffer);
    this.i32 = new Int32Array(buffer);
  }

  private layOut(cols: number, tile: number): Layout {
    const { dim8 } = this;
    const stage = Math.max(tile, cols);
    const L = {} as Layout;
    L.yf = 0;
    L.yq = cols * dim8 * 4;
    L.colScale = align(L.yq + cols * dim8 * 2);
    L.beta = L.colScale + cols * 4;
    L.xf = align(L.beta + cols * 4);
    L.xq = align(L.xf + stage * dim8 * 4);
    L.scale = align(L.xq + stage * dim8 * 2);
    L.l1 = L.scale + stage * 4;
    L.l2 = L.l1 + stage * 4;
    L.margin = L.l2 + stage * 4;
    L.est = align(L.margin + stage * 4);
    L.cand = L.est + 4 * cols * 4 + 64; // 4 rows' estimates, then their running maxima
    L.counts = L.cand + tile * cols * 4;
    L.pairs = align(L.counts + tile * 4);
    L.sums = L.pairs + PAIR_CHUNK * 8;
    const need = L.sums + PAIR_CHUNK * 4;
    const have = this.memory.buffer.byteLength;
    if (need > have) {
      this.memory.grow(Math.ceil((need - have) / PAGE));
      this.views();
    }
    return L;
  }

  /**
   * Folds columns of y into best / arg as the fused kernel does: for each row i of x, the largest
   * alpha·<x_i, y_j> − beta[j] (alpha 1, beta 0 for ip; alpha 2, beta[j] = yNorms[j], ‖y_j‖² as float32, for l2) and
   * its column, replacing best[i] and arg[i] only when strictly larger. Start from −∞ and −1.
   */
  run(x: Float32Array, xRows: number, y: Float32Array, yRows: number, l2: boolean, yNorms: Float32Array | null, best: Float32Array, arg: Int32Array): void {
    const block = Math.max(8, Math.floor(COLUMN_BUDGET / this.dim8 / 8) * 8);
    for (let j0 = 0; j0 < yRows; j0 += block) this.runBlock(x, xRows, y, j0, Math.min(yRows, j0 + block), l2, yNorms, best, arg);
  }

  private runBlock(x: Float32Array, xRows: number, y: Float32Array, j0: number, j1: number, l2: boolean, yNorms: Float32Array | null, best: Float32Array, arg: Int32Array): void {
    const { dim, dim8 } = this;
    const dimP = Math.ceil(dim / 4) * 4;
    const alpha = l2 ? 2 : 1;
    const w = j1 - j0;
    const cols = Math.ceil(w / 8) * 8;
    const tile = Math.max(4, Math.min(256, 4 * Math.floor(CAND_BUDGET / cols / 4)));
    const L = this.layOut(cols, tile);
    const { i16, f32, i32, pairRow, pairCol } = this;

    // Columns: quantized once per block, then laid out in the kernel's panels of 8 (pairs of coordinates side by
    // side), with the maxima the error bound takes over all columns. Sums of |v| and v² come from float32 lanes,
    // within a factor 1 + γ of the exact ones (γ = dim8·u / (1 − dim8·u), u = 2^-24): times 1 + 2γ they bound them.
    this.stageAndQuantize(y, j0, w, L.yf, L);
    i16.fill(0, L.yq >> 1, (L.yq >> 1) + cols * dim8);
    let maxY1 = 0, maxY2 = 0, maxEy = 0, maxBeta = 0;
    for (let j = 0; j < w; j++) {
      const from = (L.xq >> 1) + j * dim8;
      const panel = (L.yq >> 1) + (j >> 3) * 8 * dim8 + 2 * (j & 7);
      for (let t = 0; t < dim8; t++) i16[panel + (t >> 1) * 16 + (t & 1)] = i16[from + t];
      const sc = f32[(L.scale >> 2) + j];
      const beta = l2 ? yNorms![j0 + j] : 0;
      f32[(L.colScale >> 2) + j] = alpha * sc;
      f32[(L.beta >> 2) + j] = beta;
      maxY1 = Math.max(maxY1, f32[(L.l1 >> 2) + j]);
      maxY2 = Math.max(maxY2, f32[(L.l2 >> 2) + j]);
      // a column's quantization error per coordinate: sc·HQ, or for an unquantized tiny column (sc 0) its max |y_t|
      maxEy = Math.max(maxEy, sc > 0 ? sc * HQ : f32[(L.l1 >> 2) + j] * 2);
      maxBeta = Math.max(maxBeta, Math.abs(beta));
    }
    f32.fill(0, (L.colScale >> 2) + w, (L.colScale >> 2) + cols);
    f32.fill(Infinity, (L.beta >> 2) + w, (L.beta >> 2) + cols); // padding columns never pass
    const gamma = (dimP * U) / (1 - dimP * U);
    const slack = 1 + (2 * dim8 * U) / (1 - dim8 * U);
    maxY1 *= slack;
    const maxNy = Math.sqrt(maxY2 * slack);

    let pairs = 0;
    /** Scores the pending candidates exactly and folds them into best / arg (pending ones are in column order per row). */
    const flush = (i0: number) => {
      const pp = L.pairs >> 2;
      for (let p = 0; p < pairs; p++) {
        i32[pp + 2 * p] = L.xf + pairRow[p] * dim8 * 4;
        i32[pp + 2 * p + 1] = L.yf + pairCol[p] * dim8 * 4;
      }
      const groups = Math.ceil(pairs / 4);
      for (let p = pairs; p < groups * 4; p++) {
        i32[pp + 2 * p] = L.xf; // padding: any row pair, its sum unread
        i32[pp + 2 * p + 1] = L.yf;
      }
      this.rescore(L.pairs, groups, L.sums);
      const sums = L.sums >> 2;
      const betas = L.beta >> 2;
      for (let p = 0; p < pairs; p++) {
        const i = i0 + pairRow[p];
        // the fused kernel's score, alpha·sum − beta in float32 (the block's beta, as the screening read it); strict >:
        // the lower column keeps a tie
        const s = Math.fround(Math.fround(alpha * f32[sums + p]) - f32[betas + pairCol[p]]);
        if (s > best[i]) {
          best[i] = s;
          arg[i] = j0 + pairCol[p];
        }
      }
      pairs = 0;
    };

    for (let i0 = 0; i0 < xRows; i0 += tile) {
      const rows = Math.min(tile, xRows - i0);
      const rowsP = Math.ceil(rows / 4) * 4;
      this.stageAndQuantize(x, i0, rows, L.xf, L);
      i16.fill(0, (L.xq >> 1) + rows * dim8, (L.xq >> 1) + rowsP * dim8);
      for (let r = 0; r < rowsP; r++) {
        if (r >= rows) {
          f32[(L.scale >> 2) + r] = 0;
          f32[(L.margin >> 2) + r] = 0;
          continue;
        }
        const sx = f32[(L.scale >> 2) + r];
        const n1 = f32[(L.l1 >> 2) + r] * slack;
        const sq = f32[(L.l2 >> 2) + r];
        // E: the estimate's quantization error (each product's, summed: |x_t y_t − x̂_t ŷ_t| ≤ e_x|y_t| + |x_t|e_y +
        // e_x e_y, with e_x = sx·HQ, or max|x_t| ≤ Σ|x_t| for a tiny row left unquantized), the fused kernel's float32
        // rounding of the score (a t-ordered sum of dimP products, then − beta) and the estimate's own (5 operations),
        // each with an absolute term for products that underflow; the margin is 2E, rounded up. Σ|x_t y_t| is bound by
        // ‖x‖·‖y‖, or by Σ|x|·max Σ|y| where squares may have underflowed.
        const ex = sx > 0 ? sx * HQ : n1;
        const eq = alpha * (ex * maxY1 + maxEy * n1 + dim * ex * maxEy);
        const dot = sq >= 2 ** -100 && maxY2 >= 2 ** -100 ? Math.sqrt(sq * slack) * maxNy : n1 * maxY1;
        const ef = alpha * gamma * dot + U * (alpha * dot * (1 + gamma) + maxBeta) + alpha * dimP * 2 ** -149;
        const ee = 5 * U * (alpha * dot + eq + maxBeta) + 8 * 2 ** -149;
        f32[(L.margin >> 2) + r] = 2 * (eq + ef + ee) * (1 + 1e-5);
      }
      this.screen(L.xq, L.yq, L.colScale, L.beta, L.scale, L.margin, rowsP, cols, L.est, L.cand, L.counts);
      for (let r = 0; r < rows; r++) {
        const n = i32[(L.counts >> 2) + r];
        const c0 = (L.cand >> 2) + r * cols;
        for (let c = 0; c < n; c++) {
          if (pairs === PAIR_CHUNK) flush(i0);
          pairRow[pairs] = r;
          pairCol[pairs++] = i32[c0 + c];
        }
      }
      if (pairs > 0) flush(i0);
    }
  }

  /**
   * Rows [r0, r0 + rows) of v staged at byte `at` as float32 rows of dim8 (zero padded) and quantized into L.xq, with
   * their scales and sums (quantize-rows-module.ts).
   */
  private stageAndQuantize(v: Float32Array, r0: number, rows: number, at: number, L: Layout): void {
    const { dim, dim8, f32 } = this;
    const base = at >> 2;
    if (dim8 === dim) f32.set(v.subarray(r0 * dim, (r0 + rows) * dim), base);
    else {
      for (let r = 0; r < rows; r++) {
        f32.set(v.subarray((r0 + r) * dim, (r0 + r + 1) * dim), base + r * dim8);
        f32.fill(0, base + r * dim8 + dim, base + (r + 1) * dim8);
      }
    }
    this.quantize(at, rows, L.xq, L.scale, L.l1, L.l2);
  }
}

function align(p: number): number {
  return Math.ceil(p / 16) * 16;
}

/** This thread's screened arg-max for one dimension (calls never interleave). */
export const screenedBest = perShape((dim: number) => new ScreenedBest(dim));
