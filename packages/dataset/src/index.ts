// @libvq/dataset: vector files and LibVQ's data layout, as a user meets them. Main entry: reading and writing
// vectors (any format, whole or streamed), the embeddings / results Arrow files, preprocessing a LibVQ-layout
// collection, and the evaluation metrics. One format at a time, and the Arrow building blocks other packages
// share, are on subpaths: @libvq/dataset/formats, /arrow, /tokens.

// Vectors
export { readVectors, writeVectors, vectorFormat, type VectorsFile, type VectorFormat, type ReadVectorsOptions, type WriteVectorsOptions } from './vectors/vector-files.js';
export { openVectors, sampleVectors, defaultBatchRows, type VectorSource, type VectorBatch } from './vectors/vector-source.js';
export { planIndexBuild, type IndexBuildSpec } from './vectors/index-plan.js';
export { matrixFromArrow, readEmbeddings, writeEmbeddings, type EmbeddingsFile } from './arrow/embeddings.js';
export { readResults, writeResults, type SearchResults } from './arrow/results-table.js';
export type { RowIds } from './arrow/columns.js';

// LibVQ's layout: preprocess a collection, read what it wrote
export { preprocessData, type PreprocessOptions, type PreprocessResult } from './preprocess/preprocess-data.js';
export { readTokens, readIdMap, relsPath, tokensPath } from './preprocess/layout.js';
export type { TokenRows } from './arrow/tokens-table.js';
export { IdMap } from './raw/id-map.js';
export { readRelsTable } from './arrow/rels-table.js';
export { relsToOffsets, type OffsetRels } from './raw/rels.js';

// Evaluation
export { evaluateRanking, knnRecall, type Evaluation } from './metrics/ranking-metrics.js';
