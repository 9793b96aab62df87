/**
 * An index-only consumer of the packed packages: index-only-install.test.ts compiles it against the shipped
 * declarations and runs it where neither onnxruntime-node nor the GloVe data is installed. It builds faiss-style
 * indexes on seeded random vectors, trains a LearnableIndex briefly, and asks for an ONNX model (which must be
 * refused with the install hint, not crash at import time). It prints one JSON line for the test to check.
 */
import { LibvqError, indexFactory, type Matrix } from '@libvq/index-core';
import { OnnxEncoder } from '@libvq/encoder';
import { LearnableIndex } from '@libvq/train';

const DIM = 32;

/** Seeded vectors around 16 random centres, so that quantized search has structure to find. */
function clusteredVectors(rows: number, seed: number): Matrix {
  let s = seed >>> 0;
  const u = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296) - 0.5;
  const centres = Array.from({ length: 16 }, () => Float32Array.from({ length: DIM }, u));
  const data = new Float32Array(rows * DIM);
  for (let i = 0; i < rows; i++) {
    const c = centres[Math.floor((u() + 0.5) * 16) % 16];
    for (let j = 0; j < DIM; j++) data[i * DIM + j] = c[j] + 0.3 * u();
  }
  return { rows, dim: DIM, data };
}

/** Rows [start, start + n) of m, as a matrix of their own. */
function rowsOf(m: Matrix, start: number, n: number): Matrix {
  return { rows: n, dim: m.dim, data: m.data.slice(start * m.dim, (start + n) * m.dim) };
}

/** Share of queries whose exact nearest document is among the index's top k. */
function recallOfTop1(exact: Float64Array, labels: Float64Array, rows: number, k: number): number {
  let hits = 0;
  for (let q = 0; q < rows; q++) if (labels.subarray(q * k, (q + 1) * k).includes(exact[q])) hits++;
  return hits / rows;
}

const docs = clusteredVectors(2000, 1);
const queries = clusteredVectors(200, 2);

const flat = indexFactory(DIM, 'Flat', 'ip');
flat.addSync(docs);
const exact = flat.searchSync(queries, { k: 1 }).labels;
// Every document is its own nearest neighbour under l2: the exact index's sanity check.
const flatL2 = indexFactory(DIM, 'Flat', 'l2');
flatL2.addSync(docs);
const self = flatL2.searchSync(rowsOf(docs, 0, 100), { k: 1 }).labels;
const flatSelf = self.filter((label, i) => label === i).length / 100;

const ivfpq = indexFactory(DIM, 'IVF16,PQ8x4', 'ip');
ivfpq.trainSync(docs, { seed: 1 });
ivfpq.addSync(docs);
const ivfpqRecall = recallOfTop1(exact, ivfpq.searchSync(queries, { k: 10, nprobe: 4 }).labels, queries.rows, 10);

const learnable = LearnableIndex.create({ docEmbeddings: docs, indexMethod: 'opq', subvectorNum: 8, subvectorBits: 4, distMode: 'ip', seed: 1 });
const report = learnable.fitSync({
  queryEmbeddings: queries,
  docEmbeddings: docs,
  relData: null,
  lossMethod: 'distill',
  docScope: 'corpus',
  temperature: 'auto',
  epochs: 2,
  seed: 3,
});
const learnedRecall = recallOfTop1(exact, learnable.searchSync(queries, { k: 10 }).labels, queries.rows, 10);

let onnx: { code: string; message: string } | null = null;
try {
  await OnnxEncoder.fromPretrained('no-such-model');
} catch (err) {
  onnx = err instanceof LibvqError ? { code: err.code, message: err.message } : { code: 'NOT_A_LIBVQ_ERROR', message: String(err) };
}

// The native backend needs onnxruntime-node too: asking for it is an install hint, never a crash or a fallback.
let native: { code: string; message: string } | null = null;
try {
  indexFactory(DIM, 'IVF16,Flat', 'l2', 'native');
} catch (err) {
  native = err instanceof LibvqError ? { code: err.code, message: err.message } : { code: 'NOT_A_LIBVQ_ERROR', message: String(err) };
}

console.log(JSON.stringify({ flatSelf, ivfpqRecall, learned: learnable.describe(), steps: report.steps, epochLoss: report.epochLoss, learnedRecall, onnx, native }));
