// @libvq/encoder/model: the checks and file conventions encoders share (pooling, token batches, model
// directories, where inference writes its embeddings, the text-encoder contract), for packages that build encoders
// or towers.
export { checkPooling, poolCls, poolMean } from './pooling.js';
export { checkTokenBatch } from './batch.js';
export { findModelFile, readModelConfig, type ModelConfig } from './model-dir.js';
export { embeddingsPath } from './embeddings-output.js';
export { hasTextPath, type TextEmbedder, type TextEmbedOptions } from './text-embedder.js';
