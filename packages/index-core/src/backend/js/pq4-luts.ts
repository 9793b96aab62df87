/// <reference path="./wasm/webassembly.d.ts" />
import { frontOr } from '../../scratch-arrays.js';
import type { Pq4Luts } from '../types.js';
import { compiledKernel } from './wasm/bytes.js';
import { lutRoundModuleBytes, lutStatsModuleBytes } from './wasm/lut-quantize-module.js';

const f = Math.fround;
const KSUB = 16;
const PAGE = 65536;
/** Float table entries passing through the kernels' memory at a time (at least one query's tables). */
const CHUNK_FLOATS = 1 << 16;

/**
 * a = min(255 / widest row span, 65535 / widest score span). Tables with no spread at all (every entry of
 * every row equal) would give a = ∞ and NaN entries; any a quantizes them to zeros, so they get 1.
 */
function scale(maxSpanLut: number, maxSpanDis: number): number {
  const a = Math.min(f(255 / maxSpanLut), f(65535 / maxSpanDis));
  return Number.isFinite(a) ? a : 1;
}

/** faiss's round_tab for one value: floorf((x − bi)·a + 0.5) in float32 (bi ≤ x, so truncation is the floor). */
function roundEntry(x: number, bi: number, a: number): number {
  return f(f(f(x - bi) * a) + 0.5) | 0;
}

/**
 * The look-up tables quantized to uint8 the way faiss does it (utils/quantize_lut.cpp, quantize_LUT_and_bias), so
 * that a fast-scan index scores exactly as faiss's. Per query, each table row m is shifted by its minimum and all
 * rows are scaled by one factor a = min(255 / widest row span, 65535 / widest score span) (the spans of every row
 * plus the bias span), so that each entry fits a byte and any sum fits 16 bits; a score s stands for the float
 * distance b + s / a. The row minima and spans, and the rounding of whole rows, run on WebAssembly SIMD kernels
 * (lut-quantize-module.ts: 16 entries per step, float32 as faiss's scalar C++, bit-equal); the few per-row sums
 * that fix a and b stay here, in faiss's order.
 *
 * Shared (one table per query): the optional bias (nprobe floats, e.g. the coarse inner products) is quantized
 * against its smallest entry. Per probe (l2 with residuals, faiss's 3-D case): one table per probed list, the bias of
 * list p becomes its coarse distance plus its table's row minima, quantized against the smallest such sum.
 */
class LutQuantizer {
  private readonly memory = new WebAssembly.Memory({ initial: 1 });
  private readonly stats: (t: number, rows: number, mins: number, spans: number) => void;
  private readonly round: (t: number, rows: number, mins: number, a: number, out: number) => void;
  private f32 = new Float32Array(0);
  private u8 = new Uint8Array(0);

  constructor() {
    const env = { env: { memory: this.memory } };
    this.stats = new WebAssembly.Instance(compiledKernel('lut-stats', () => lutStatsModuleBytes()), env).exports.stats as LutQuantizer['stats'];
    this.round = new WebAssembly.Instance(compiledKernel('lut-round', () => lutRoundModuleBytes()), env).exports.round as LutQuantizer['round'];
    this.views();
  }

  private views(): void {
    this.f32 = new Float32Array(this.memory.buffer);
    this.u8 = new Uint8Array(this.memory.buffer);
  }

  run(tables: Float32Array, nq: number, M: number, M2: number, bias: Float32Array | null, nprobe: number, perProbe: boolean, into?: Pq4Luts): Pq4Luts {
    const T = perProbe ? nprobe : 1;
    const rows = T * M;
    const chunk = Math.max(1, Math.floor(CHUNK_FLOATS / (rows * KSUB)));
    const luts = frontOr(into?.luts, nq * T * M2 * KSUB, (n) => new Uint8Array(n));
    const biasOut = bias ? frontOr(into?.bias, nq * nprobe, (n) => new Uint16Array(n)) : null;
    const a = frontOr(into?.a, nq, (n) => new Float32Array(n));
    const b = frontOr(into?.b, nq, (n) => new Float32Array(n));
    // Memory: tables of a chunk | mins | spans | uint8 tables of a chunk (padding rows M..M2 stay zero).
    const tPtr = 0;
    const minsPtr = tPtr + chunk * rows * KSUB * 4;
    const spansPtr = minsPtr + rows * 4;
    const outPtr = spansPtr + rows * 4;
    const outBytes = chunk * T * M2 * KSUB;
    const need = outPtr + outBytes;
    if (need > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / PAGE));
      this.views();
    }
    const { f32, u8 } = this;
    u8.fill(0, outPtr, outPtr + outBytes);
    const mins = minsPtr >> 2;
    const spans = spansPtr >> 2;
    const bias2 = perProbe ? new Float32Array(nprobe) : null;
    for (let q0 = 0; q0 < nq; q0 += chunk) {
      const n = Math.min(chunk, nq - q0);
      f32.set(tables.subarray(q0 * rows * KSUB, (q0 + n) * rows * KSUB), tPtr >> 2);
      for (let i = 0; i < n; i++) {
        const q = q0 + i;
        const t = tPtr + i * rows * KSUB * 4;
        const out = outPtr + i * T * M2 * KSUB;
        this.stats(t, rows, minsPtr, spansPtr);
        const bo = q * nprobe;
        let biasMin = 0;
        let biasMax = -Infinity;
        if (bias) {
          biasMin = Infinity;
          for (let p = 0; p < nprobe; p++) {
            const v = bias[bo + p];
            if (v < biasMin) biasMin = v;
            if (v > biasMax) biasMax = v;
          }
        }
        let maxSpanLut = -Infinity;
        if (!perProbe) {
          let maxSpanDis = bias ? f(biasMax - biasMin) : 0;
          let bq = 0;
          for (let m = 0; m < M; m++) {
            const span = f32[spans + m];
            maxSpanLut = Math.max(maxSpanLut, span);
            maxSpanDis = f(maxSpanDis + span);
            bq = f(bq + f32[mins + m]);
          }
          const aq = scale(maxSpanLut, maxSpanDis);
          a[q] = aq;
          b[q] = bias ? f(bq + biasMin) : bq;
          this.round(t, M, minsPtr, aq, out);
          if (bias && biasOut) for (let p = 0; p < nprobe; p++) biasOut[bo + p] = roundEntry(bias[bo + p], biasMin, aq);
          continue;
        }
        let maxSpanDis = -Infinity;
        let bq = Infinity;
        for (let p = 0; p < nprobe; p++) {
          let spanDis = f(bias![bo + p] - biasMin);
          let b2 = bias![bo + p];
          for (let m = 0; m < M; m++) {
            const span = f32[spans + p * M + m];
            maxSpanLut = Math.max(maxSpanLut, span);
            spanDis = f(spanDis + span);
            b2 = f(b2 + f32[mins + p * M + m]);
          }
          maxSpanDis = Math.max(maxSpanDis, spanDis);
          bias2![p] = b2;
          bq = Math.min(bq, b2);
        }
        const aq = scale(maxSpanLut, maxSpanDis);
        a[q] = aq;
        b[q] = bq;
        for (let p = 0; p < nprobe; p++) {
          this.round(t + p * M * KSUB * 4, M, minsPtr + p * M * 4, aq, out + p * M2 * KSUB);
          biasOut![bo + p] = roundEntry(bias2![p], bq, aq);
        }
      }
      luts.set(u8.subarray(outPtr, outPtr + n * T * M2 * KSUB), q0 * T * M2 * KSUB);
    }
    return { luts, bias: biasOut, a, b };
  }
}

let quantizer: LutQuantizer | null = null;

/** This thread's LUT quantizer (its kernels and their memory are made once and reused). */
export function pq4Luts(tables: Float32Array, nq: number, M: number, M2: number, bias: Float32Array | null, nprobe: number, perProbe: boolean, into?: Pq4Luts): Pq4Luts {
  quantizer ??= new LutQuantizer();
  return quantizer.run(tables, nq, M, M2, bias, nprobe, perProbe, into);
}
