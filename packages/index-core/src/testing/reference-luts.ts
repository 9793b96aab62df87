/**
 * The conformance suite's reference for Backend.pq4Luts: look-up tables quantized to uint8 the way faiss does it
 * (utils/quantize_lut.cpp, quantize_LUT_and_bias), one scalar at a time. Per sub-quantizer m the table row is
 * shifted by its minimum and scaled by one factor a for all rows, a = min(255 / widest row span, 65535 / sum of the spans
 * (+ the bias span)), so that each entry fits a byte and any sum fits 16 bits. A score s then stands for
 * the float distance b + s / a, b = Σ_m min_m (+ the smallest bias).
 * Arithmetic is float32 step by step (Math.fround), as in faiss's C++: the rounded entries are bit-equal.
 */
const f = Math.fround;

export interface QuantizedLut {
  /** Scale: a quantized score s is the distance b + s / a. */
  a: number;
  b: number;
}

function rowMin(t: Float32Array, o: number, n: number): number {
  let v = Infinity;
  for (let i = 0; i < n; i++) if (t[o + i] < v) v = t[o + i];
  return v;
}

function rowMax(t: Float32Array, o: number, n: number): number {
  let v = -Infinity;
  for (let i = 0; i < n; i++) if (t[o + i] > v) v = t[o + i];
  return v;
}

/**
 * a = min(255 / widest row span, 65535 / widest score span). Tables with no spread at all (every entry of
 * every row equal) would give a = ∞ and NaN entries; any a quantizes them to zeros, so they get 1.
 */
function scale(maxSpanLut: number, maxSpanDis: number): number {
  const a = Math.min(f(255 / maxSpanLut), f(65535 / maxSpanDis));
  return Number.isFinite(a) ? a : 1;
}

/**
 * faiss's round_tab: floorf((x − bi)·a + 0.5), float32 throughout. Every caller passes bi ≤ x (a row's or the biases'
 * minimum), so the value is ≥ 0.5 and truncation (`| 0`) is the floor: 2.3× faster than Math.floor here.
 */
function roundEntry(x: number, bi: number, a: number): number {
  return f(f(f(x - bi) * a) + 0.5) | 0;
}

function roundRows(t: Float32Array, to: number, rows: number, ksub: number, mins: Float64Array, mo: number, a: number, out: Uint8Array, oo: number): void {
  for (let m = 0; m < rows; m++) {
    for (let j = 0; j < ksub; j++) out[oo + m * ksub + j] = roundEntry(t[to + m * ksub + j], mins[mo + m], a);
  }
}

/**
 * One table of M rows shared by the query's lists, with an optional per-list bias (nprobe floats, e.g. the
 * coarse inner products): writes M2 rows of uint8 into lutOut (rows M..M2 zero) and nprobe uint16 biases.
 */
export function quantizeSharedLut(
  table: Float32Array, to: number, M: number, ksub: number, M2: number,
  bias: Float32Array | null, bo: number, nprobe: number,
  lutOut: Uint8Array, lo: number, biasOut: Uint16Array | null,
): QuantizedLut {
  const mins = new Float64Array(M);
  let maxSpanLut = -Infinity;
  let maxSpanDis = 0;
  let biasMin = 0;
  if (bias) {
    biasMin = rowMin(bias, bo, nprobe);
    maxSpanDis = f(rowMax(bias, bo, nprobe) - biasMin);
  }
  let b = 0;
  for (let m = 0; m < M; m++) {
    mins[m] = rowMin(table, to + m * ksub, ksub);
    const span = f(rowMax(table, to + m * ksub, ksub) - mins[m]);
    maxSpanLut = Math.max(maxSpanLut, span);
    maxSpanDis = f(maxSpanDis + span);
    b = f(b + mins[m]);
  }
  const a = scale(maxSpanLut, maxSpanDis);
  if (bias) b = f(b + biasMin);
  roundRows(table, to, M, ksub, mins, 0, a, lutOut, lo);
  lutOut.fill(0, lo + M * ksub, lo + M2 * ksub);
  if (bias && biasOut) for (let p = 0; p < nprobe; p++) biasOut[bo + p] = roundEntry(bias[bo + p], biasMin, a);
  return { a, b };
}

/**
 * One table per probed list (l2 with residuals: the list's own term is in its table) and the coarse distance
 * of each list: faiss's 3-D case. The bias of list p becomes its coarse distance plus its table's row minima,
 * quantized against the smallest such sum; tables are nprobe × M × ksub in, nprobe × M2 × ksub out.
 */
export function quantizePerListLuts(
  tables: Float32Array, to: number, M: number, ksub: number, M2: number,
  bias: Float32Array, bo: number, nprobe: number,
  lutOut: Uint8Array, lo: number, biasOut: Uint16Array,
): QuantizedLut {
  const mins = new Float64Array(nprobe * M);
  const bias2 = new Float32Array(nprobe);
  const biasMin = rowMin(bias, bo, nprobe);
  let maxSpanLut = -Infinity;
  let maxSpanDis = -Infinity;
  let b = Infinity;
  for (let p = 0; p < nprobe; p++) {
    let spanDis = f(bias[bo + p] - biasMin);
    let b2 = bias[bo + p];
    for (let m = 0; m < M; m++) {
      const o = to + (p * M + m) * ksub;
      const mn = rowMin(tables, o, ksub);
      mins[p * M + m] = mn;
      const span = f(rowMax(tables, o, ksub) - mn);
      maxSpanLut = Math.max(maxSpanLut, span);
      spanDis = f(spanDis + span);
      b2 = f(b2 + mn);
    }
    maxSpanDis = Math.max(maxSpanDis, spanDis);
    bias2[p] = b2;
    b = Math.min(b, b2);
  }
  const a = scale(maxSpanLut, maxSpanDis);
  for (let p = 0; p < nprobe; p++) {
    const oo = lo + p * M2 * ksub;
    roundRows(tables, to + p * M * ksub, M, ksub, mins, p * M, a, lutOut, oo);
    lutOut.fill(0, oo + M * ksub, oo + M2 * ksub);
    biasOut[bo + p] = roundEntry(bias2[p], b, a);
  }
  return { a, b };
}
