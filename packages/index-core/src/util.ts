// @libvq/index-core/util: the checks, random numbers, matrix helpers, file and thread helpers that the other
// @libvq packages share with index-core (one implementation each). Stable, but not the index API.
export { invalidArgument, throwIfAborted } from './errors.js';
export { checkMatrix, firstOutOfRange, gatherRows, sliceRows, row, normalizeRows, MAX_MAGNITUDE } from './matrix.js';
// Arrow tables and columns read by shape (any apache-arrow copy), with the vector-column rule every reader shares
export { vectorField, VECTOR_COLUMN_NAMES } from './input/vector-column.js';
export { fixedSizeListMatrix } from './input/arrow-rows.js';
export { isArrowTableLike, isArrowVectorLike, type ArrowTableLike, type ArrowVectorLike, type ArrowFieldLike } from './input/arrow-like.js';
export { DEFAULT_METRIC, checkMetric, checkMetricOrCosine, type MetricOrCosine } from './metric.js';
export { MAX_DIMENSION, checkDimension } from './limits.js';
export { createRng, gaussian, randomPermutation, sampleWithoutReplacement, type Rng } from './random.js';
export { mulABt, procrustes, randomOrthogonal, transpose } from './linalg.js';
export {
  writeAtomic, writeFileAtomic, writeFileAtomicSync, writeDirectoryAtomic, writeChunks,
  type FileChunk, type WriteSyncOptions, type WriteDirectoryOptions,
} from './io/atomic-write.js';
export { temporarySibling, removeStaleTemporaries, isProcessRunning, STALE_TEMPORARY_MIN_AGE_MS, type RemoveStaleOptions } from './io/temp-files.js';
export { bytesOf } from './io/bytes.js';
export { searchRowsInBatches, type BatchedResult } from './indexes/checks.js';
export { threadPoolSize, rowRange } from './parallel/pool.js';
export { runModuleShares } from './parallel/module-call.js';
export { sharedScratch } from './parallel/shared.js';
export { eachChunk } from './parallel/rows.js';
export type { RowRange } from './parallel/protocol.js';
export { spawnWorker, isTypeScriptModule } from './parallel/spawn-worker.js';
// The ONNX model writer: @libvq/encoder's models (glove-100, test models) and the native backend's kernel graphs.
export { ProtoWriter, littleEndianBytes } from './onnx/protobuf.js';
export {
  encodeModel,
  type OnnxGraph, type OnnxTensor, type OnnxNode, type OnnxAttribute, type OnnxDataType, type OnnxValueInfo, type OnnxModelOptions,
} from './onnx/model.js';
export { ONNXRUNTIME_NODE_VERSION } from './backend/native/ort-session.js';
