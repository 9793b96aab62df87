// @libvq/index-core: faiss-style vector indexes (Flat, PQ, IVF-Flat, IVF-PQ, OPQ) in TypeScript, with faiss's file
// format. The main entry is the user's API; building blocks for backends and sibling packages are on named
// subpaths: @libvq/index-core/backend (kernels), /util (checks, random numbers, matrix helpers, files, threads),
// /gpujs (the gpu.js backend), /testing (the backend conformance suite).

// The index interface and its data
export type {
  Index, SearchParams, TrainOptions, AddOptions, Ids,
  EncodedVectors, StoredEntries, IndexParameters, TransformParameters, CodebookParameters,
} from './indexes/index.js';
export { SearchResult, type Neighbor } from './indexes/search-result.js';
export type { Matrix } from './matrix.js';
export { matrix } from './matrix.js';
export { toMatrix, type VectorsInput } from './input/vectors-input.js';
export { tensor, type Tensor, type TensorData } from './tensor.js';
export type { Metric } from './metric.js';
export type { LongOperationOptions } from './progress.js';
export { LibvqError, type LibvqErrorCode } from './errors.js';

// Index kinds, by composition: a coarse quantizer that is itself an index, a PQ codec, an OPQ transform
export { IndexFlat } from './indexes/index-flat.js';
export { IndexPQ } from './indexes/index-pq.js';
export { IndexIVF } from './indexes/index-ivf.js';
export { IndexIVFFlat } from './indexes/index-ivf-flat.js';
export { IndexIVFPQ } from './indexes/index-ivf-pq.js';
export { IndexPreTransform } from './indexes/index-pretransform.js';
export { OPQMatrix } from './opq.js';
export type { VectorTransform } from './transform.js';
export { ProductQuantizer } from './product-quantizer.js';
export { kmeans, type KMeansOptions, type KMeansResult } from './kmeans.js';

// Factory strings, building from batches, files
export { indexFactory, describeIndex, parseFactory, type FactorySpec, type FactoryOptions } from './factory.js';
export { addBatches } from './indexes/add-batches.js';
export { checkTrainingSize, defaultTrainingSize } from './indexes/training-size.js';
export { readIndex, readIndexSync, deserializeIndex, type ReadIndexOptions } from './io/read-index.js';
export { writeIndex, writeIndexSync, serializeIndex } from './io/write-index.js';
export { closeThreadPool } from './parallel/pool.js';
// The faiss reader and writer as the indexes' codec (asynchronous training hands indexes to a worker with it).
import './io/register-codec.js';
