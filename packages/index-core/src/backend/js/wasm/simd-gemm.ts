/// <reference path="./webassembly.d.ts" />
import type { Matrix } from '../../../matrix.js';
import { dotsToL2 } from '../l2-from-dots.js';
import { compiledKernel, perShape } from './bytes.js';
import { gemmBestModuleBytes } from './gemm-best-module.js';
import { gemmModuleBytes } from './gemm-module.js';
import { topkRowsModuleBytes } from './topk-rows-module.js';

const PAGE = 65536;
/**
 * Most bytes of panels one thread's kernel holds (SimdGemm.hold): 768-d centroids up to ~5,000 lists, 100-d up to
 * ~40,000. Beyond, packing is a small part of a probe's GEMM (O(m·d) against O(n·m·d)), so nothing is held.
 */
const HELD_MAX_BYTES = 16 << 20;

/**
 * Dense score tiles on the WebAssembly SIMD kernel (gemm-module.ts): the operands are copied into the
 * kernel's memory — x rows padded to dimP = ⌈dim/4⌉·4, the y block in ⌈w/8⌉ panels of 8 columns, each t-major —
 * the kernel fills a rows×cols block and the caller's tile receives its w valid columns. The copies are O((rows +
 * w)·dim) against O(rows·w·dim) multiply-adds. Measured 43–45 GFLOP/s at d = 100 (the fused arg-max kernel, 65,536 × 1,024) against 5.6 for the JS 2×4 kernel.
 * One instance per padded dimension and thread; its memory grows to the largest tile asked for.
 */
export class SimdGemm {
  readonly dimP: number;
  private readonly memory: WebAssembly.Memory;
  private readonly gemm: (x: number, yT: number, out: number, rows: number, cols: number, stride: number) => void;
  private readonly best: (x: number, yT: number, beta: number, lanes: number, rows: number, cols: number, alpha: number) => void;
  /** topk-rows-module.ts's offer, made on first use: [lower is better, higher is better]. */
  private readonly offers: (OfferKernel | null)[] = [null, null];
  private f32: Float32Array;
  private i32: Int32Array;
  private xPtr = 0;
  private yPtr = 0;
  private outPtr = 0;
  private betaPtr = 0;
  private lanesPtr = 0;
  private keptScoresPtr = 0;
  private keptIdsPtr = 0;
  private keptCountsPtr = 0;
  /** End of what reserve laid out: held panels go past it. */
  private reserved = 0;
  private cols = 0;
  private w = 0;
  /** Where the y operand of the next run lies: the block setY loaded, or a block of the held panels (useHeld). */
  private yAt = 0;
  /** Every block of one unchanging matrix's panels (hold), past what reserve laid out; null: none. */
  private held: { key: WeakRef<Matrix>; ptr: number; BY: number; blockBytes: number } | null = null;

  constructor(readonly dim: number) {
    this.dimP = Math.ceil(dim / 4) * 4;
    this.memory = new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(compiledKernel(`gemm:${this.dimP}`, () => gemmModuleBytes(this.dimP)), { env: { memory: this.memory } });
    this.gemm = instance.exports.gemm as SimdGemm['gemm'];
    const best = new WebAssembly.Instance(compiledKernel(`gemm-best:${this.dimP}`, () => gemmBestModuleBytes(this.dimP)), { env: { memory: this.memory } });
    this.best = best.exports.best as SimdGemm['best'];
    this.f32 = new Float32Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }

  /**
   * Makes room for x blocks of up to maxRows rows against y blocks of up to maxCols rows, and for the best k of
   * keptRows rows (runTopK).
   */
  reserve(maxRows: number, maxCols: number, keptRows = 0, k = 0): void {
    const rowsP = Math.ceil(maxRows / 4) * 4;
    const colsP = Math.ceil(maxCols / 8) * 8;
    this.xPtr = 0;
    this.yPtr = rowsP * this.dimP * 4;
    this.outPtr = this.yPtr + this.dimP * colsP * 4;
    this.betaPtr = this.outPtr + rowsP * colsP * 4;
    this.lanesPtr = this.betaPtr + colsP * 4;
    this.keptScoresPtr = this.lanesPtr + rowsP * 32;
    this.keptIdsPtr = this.keptScoresPtr + keptRows * k * 4;
    this.keptCountsPtr = this.keptIdsPtr + keptRows * k * 4;
    const need = this.keptCountsPtr + keptRows * 4;
    this.reserved = need;
    if (this.held !== null && need > this.held.ptr) this.held = null; // the new layout overlaps the held panels
    this.ensureBytes(need);
  }

  private ensureBytes(need: number): void {
    const have = this.memory.buffer.byteLength;
    if (need > have) {
      this.memory.grow(Math.ceil((need - have) / PAGE));
      this.f32 = new Float32Array(this.memory.buffer); // growing detaches the old view
      this.i32 = new Int32Array(this.memory.buffer);
    }
  }

  /**
   * Keeps the panels of every block of BY columns of `y` (a matrix marked unchanging: matrix.ts) in the kernel's
   * memory, past what reserve laid out, so that a later call on the same matrix object packs none of them (useHeld).
   * Packing GloVe's 1,024 × 100 centroids takes ~72 µs in a microbenchmark, the time of a coarse probe of ~15
   * queries, paid by every search call and by every chunk of a threaded search. Held: GloVe IVF1024,PQ50x4fsr,
   * nprobe 8, one query per call, 250–265 → 84–107 µs per call; two threads, 1,000 queries, 0.88–0.94× the time.
   * Returns false, holding nothing, past HELD_MAX_BYTES. Call after reserve.
   */
  hold(y: Matrix, BY: number): boolean {
    const h = this.held;
    if (h !== null && h.BY === BY && h.key.deref() === y) return true;
    this.held = null;
    const blockBytes = this.dimP * Math.ceil(Math.min(BY, y.rows) / 8) * 8 * 4;
    const blocks = Math.ceil(y.rows / BY);
    if (blocks * blockBytes > HELD_MAX_BYTES) return false;
    const ptr = Math.ceil(this.reserved / 64) * 64;
    this.ensureBytes(ptr + blocks * blockBytes);
    for (let b = 0; b < blocks; b++) this.pack(y.data, b * BY, Math.min(y.rows, (b + 1) * BY), (ptr + b * blockBytes) >> 2);
    this.held = { key: new WeakRef(y), ptr, BY, blockBytes };
    return true;
  }

  /** Makes columns [j0, j1) of the held matrix (one of its blocks: j0 a multiple of hold's BY) the right operand. */
  useHeld(j0: number, j1: number): void {
    const h = this.held!;
    this.yAt = h.ptr + (j0 / h.BY) * h.blockBytes;
    this.w = j1 - j0;
    this.cols = Math.ceil(this.w / 8) * 8;
  }

  /** Loads rows [j0, j1) of y (row-major, dim columns) as the right operand, in the kernel's panels of 8. */
  setY(y: Float32Array, j0: number, j1: number): void {
    this.pack(y, j0, j1, this.yPtr >> 2);
    this.yAt = this.yPtr;
    this.w = j1 - j0;
    this.cols = Math.ceil(this.w / 8) * 8;
  }

  /** Writes rows [j0, j1) of y as panels of 8 columns from float `base` of the kernel's memory. */
  private pack(y: Float32Array, j0: number, j1: number, base: number): void {
    const { dim, dimP, f32 } = this;
    const w = j1 - j0;
    const cols = Math.ceil(w / 8) * 8;
    if (cols !== w || dimP !== dim) f32.fill(0, base, base + dimP * cols);
    // Panels of 8 columns, each dimP × 8 contiguous: the kernel's 8 columns at coordinate t are 32 bytes after
    // those at t − 1. (A whole transposed row apart, 4 KiB at 1,024 columns, they all fell in one L1 set: k-means' assignment ran
    // at 29 GFLOP/s, now 37.) Written panel by panel in the order they lie, eight rows of y read side by side: row
    // by row (each store 32 bytes after the last) it took twice as long, ~150 µs for GloVe's 1,024 × 100 centroids,
    // which a threaded search pays on every chunk (6–10% of a thread's time at nprobe 8, fast-scan, two threads).
    for (let p = 0; p < w; p += 8) {
      const dst = base + (p >> 3) * dimP * 8;
      const src = (j0 + p) * dim;
      if (w - p >= 8) {
        for (let t = 0, d = dst; t < dim; t++, d += 8) {
          f32[d] = y[src + t];
          f32[d + 1] = y[src + dim + t];
          f32[d + 2] = y[src + 2 * dim + t];
          f32[d + 3] = y[src + 3 * dim + t];
          f32[d + 4] = y[src + 4 * dim + t];
          f32[d + 5] = y[src + 5 * dim + t];
          f32[d + 6] = y[src + 6 * dim + t];
          f32[d + 7] = y[src + 7 * dim + t];
        }
        continue;
      }
      for (let r = 0; r < w - p; r++) for (let t = 0; t < dim; t++) f32[dst + t * 8 + r] = y[src + r * dim + t];
    }
  }

  /** tile[(i − i0)·w + j] = <x_i, y_(j0+j)> for rows [i0, i1) of x against the loaded y block. */
  run(x: Float32Array, i0: number, i1: number, tile: Float32Array): void {
    const { f32, cols, w } = this;
    const rows = i1 - i0;
    this.gemm(this.xPtr, this.yAt, this.outPtr, this.loadX(x, i0, i1), cols, cols);
    const ob = this.outPtr >> 2;
    if (cols === w) tile.set(f32.subarray(ob, ob + rows * w));
    else for (let i = 0; i < rows; i++) tile.set(f32.subarray(ob + i * cols, ob + i * cols + w), i * w);
  }

  /**
   * For rows [i0, i1) of x, the column j of the loaded y block maximizing alpha·<x_i, y_j> − beta[j0 + j] (beta
   * null: 0), folded into best / arg (strict >: a column of an earlier block, or a lower column, wins ties), with
   * the fused kernel of gemm-best-module.ts: no score tile is written.
   */
  runBest(x: Float32Array, i0: number, i1: number, j0: number, alpha: number, beta: Float32Array | null, best: Float32Array, arg: Int32Array): void {
    const { f32, cols, w } = this;
    const bb = this.betaPtr >> 2;
    if (beta === null) f32.fill(0, bb, bb + w);
    else f32.set(beta.subarray(j0, j0 + w), bb);
    f32.fill(Infinity, bb + w, bb + cols); // padding columns never win
    const rowsP = this.loadX(x, i0, i1);
    this.best(this.xPtr, this.yAt, this.betaPtr, this.lanesPtr, rowsP, cols, alpha);
    const lanes = this.lanesPtr >> 2;
    const i32 = this.i32;
    for (let i = i0; i < i1; i++) {
      const o = lanes + (i - i0) * 8;
      let b = best[i];
      let a = arg[i];
      for (let l = 0; l < 4; l++) {
        const v = f32[o + l];
        const j = j0 + i32[o + 4 + l];
        if (v > b || (v === b && j < a && a >= j0)) {
          b = v;
          a = j;
        }
      }
      best[i] = b;
      arg[i] = a;
    }
  }

  /** Empties the kept results of rows [0, rows) (reserve's keptRows) before a runTopK pass. */
  clearKept(rows: number): void {
    const c = this.keptCountsPtr >> 2;
    this.i32.fill(0, c, c + rows);
  }

  /**
   * Offers the scores of rows [i0, i1) of x against the loaded y block (its columns are j0 ..) to the kept best k of
   * kept rows [at, at + i1 − i0), with topk-rows-module.ts's kernel: ip ranks by <x_i, y_j>; l2 (norms given) by
   * ‖x_i‖² + ‖y_j‖² − 2<x_i, y_j> (dotsToL2, in the kernel's memory). No score tile leaves the kernel's memory.
   */
  runTopK(x: Float32Array, i0: number, i1: number, j0: number, k: number, at: number, norms: { xn: Float32Array; yn: Float32Array } | null): void {
    const { cols, w } = this;
    const rows = i1 - i0;
    this.gemm(this.xPtr, this.yAt, this.outPtr, this.loadX(x, i0, i1), cols, cols);
    if (norms !== null) dotsToL2(this.f32, i0, i1, j0, j0 + w, norms.xn, norms.yn, this.outPtr >> 2, cols);
    const hib = norms === null ? 1 : 0;
    const offer = (this.offers[hib] ??= new WebAssembly.Instance(compiledKernel(`topk-rows:${hib}`, () => topkRowsModuleBytes(hib === 1)), { env: { memory: this.memory } }).exports.offer as OfferKernel);
    offer(this.outPtr, cols, rows, w, j0, k, this.keptScoresPtr + at * k * 4, this.keptIdsPtr + at * k * 4, this.keptCountsPtr + at * 4);
  }

  /**
   * Writes the kept results of rows [0, rows), best first, to distances / labels from `offset` (k per row); rows
   * with fewer than k get label −1 and distance −Infinity (ip) or +Infinity (l2) after them, as TopK pads.
   */
  readKept(rows: number, k: number, ip: boolean, distances: Float32Array, labels: Float64Array, offset: number): void {
    const { f32, i32 } = this;
    const sc = this.keptScoresPtr >> 2;
    const id = this.keptIdsPtr >> 2;
    const cn = this.keptCountsPtr >> 2;
    const pad = ip ? -Infinity : Infinity;
    for (let r = 0; r < rows; r++) {
      const n = i32[cn + r];
      const o = offset + r * k;
      for (let p = 0; p < n; p++) {
        distances[o + p] = f32[sc + r * k + p];
        labels[o + p] = i32[id + r * k + p];
      }
      for (let p = n; p < k; p++) {
        distances[o + p] = pad;
        labels[o + p] = -1;
      }
    }
  }

  /** Copies rows [i0, i1) of x into the kernel's memory, padded to dimP columns and to a multiple of 4 rows. */
  private loadX(x: Float32Array, i0: number, i1: number): number {
    const { dim, dimP, f32 } = this;
    const rows = i1 - i0;
    const rowsP = Math.ceil(rows / 4) * 4;
    const xb = this.xPtr >> 2;
    if (dimP === dim) f32.set(x.subarray(i0 * dim, i1 * dim), xb);
    else {
      f32.fill(0, xb, xb + rows * dimP);
      for (let i = 0; i < rows; i++) f32.set(x.subarray((i0 + i) * dim, (i0 + i + 1) * dim), xb + i * dimP);
    }
    if (rowsP !== rows) f32.fill(0, xb + rows * dimP, xb + rowsP * dimP);
    return rowsP;
  }
}

type OfferKernel = (out: number, stride: number, rows: number, w: number, j0: number, k: number, scores: number, ids: number, counts: number) => void;

/** The cached kernel for one dimension (one per thread: calls never interleave). */
export const simdGemm = perShape((dim: number) => new SimdGemm(dim));
