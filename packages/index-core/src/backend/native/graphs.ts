import { encodeModel, type OnnxValueInfo } from '../../onnx/model.js';

/**
 * The ONNX graphs of the native backend's kernels, all dimensions symbolic (one model serves every shape).
 * Opset 13: ArgMax / ReduceMax take their axes as attributes.
 */
const OPSET = { opset: 13, irVersion: 7 };
const f32 = (name: string, shape: string[]): OnnxValueInfo => ({ name, type: 'float32', shape });

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** S = X·Yᵀ: X [n, d], Y [m, d] → S [n, m] (MLAS GEMM with B transposed: Y is read as stored). */
export function scoresModel(): Uint8Array {
  return concat(encodeModel({
    name: 'scores',
    nodes: [{ op: 'Gemm', inputs: ['X', 'Y'], outputs: ['S'], attributes: { transB: { i: 1 } } }],
    initializers: [],
    inputs: [f32('X', ['n', 'd']), f32('Y', ['m', 'd'])],
    outputs: [f32('S', ['n', 'm'])],
  }, OPSET));
}

/**
 * The best column of every row: S = X·Yᵀ + B (B [m], a per-column bias), then the arg-max (first of equal
 * maxima, i.e. the lower column) and the max of each row: I [n] int64, V [n].
 */
export function bestModel(): Uint8Array {
  return concat(encodeModel({
    name: 'best',
    nodes: [
      { op: 'Gemm', inputs: ['X', 'Y', 'B'], outputs: ['S'], attributes: { transB: { i: 1 } } },
      { op: 'ArgMax', inputs: ['S'], outputs: ['I'], attributes: { axis: { i: 1 }, keepdims: { i: 0 } } },
      { op: 'ReduceMax', inputs: ['S'], outputs: ['V'], attributes: { axes: { ints: [1] }, keepdims: { i: 0 } } },
    ],
    initializers: [],
    inputs: [f32('X', ['n', 'd']), f32('Y', ['m', 'd']), f32('B', ['m'])],
    outputs: [{ name: 'I', type: 'int64', shape: ['n'] }, f32('V', ['n'])],
  }, OPSET));
}

/**
 * The best k columns of every row, best first: S = X·Yᵀ + B (B [m], a per-column bias), then TopK (largest, sorted;
 * of equal scores the lower column first): V [n, k], I [n, k] int64. K [1] int64 is an input, so one model serves
 * every k. Selecting inside the graph is why this exists: onnxruntime-node returns a fresh copy of every output,
 * so a k-NN over whole score tiles paid a copy (4 MiB per call, all of it garbage) and a JavaScript selection
 * over every score; this returns n × k.
 */
export function topkModel(): Uint8Array {
  return concat(encodeModel({
    name: 'topk',
    nodes: [
      { op: 'Gemm', inputs: ['X', 'Y', 'B'], outputs: ['S'], attributes: { transB: { i: 1 } } },
      { op: 'TopK', inputs: ['S', 'K'], outputs: ['V', 'I'], attributes: { axis: { i: 1 }, largest: { i: 1 }, sorted: { i: 1 } } },
    ],
    initializers: [],
    inputs: [f32('X', ['n', 'd']), f32('Y', ['m', 'd']), f32('B', ['m']), { name: 'K', type: 'int64', shape: [1] }],
    outputs: [f32('V', ['n', 'k']), { name: 'I', type: 'int64', shape: ['n', 'k'] }],
  }, OPSET));
}
