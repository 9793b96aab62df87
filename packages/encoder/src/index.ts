export { BaseEncoder, Encoder, type Tower } from './base-encoder.js';
export { padBatch, checkTokenBatch, type TokenBatch } from './batch.js';
export { checkPooling, poolCls, poolMean, type Pooling } from './pooling.js';
export { OnnxEncoder, type OnnxEncoderOptions, type OnnxEncoderParts } from './onnx-encoder.js';
export { findModelFile, readModelConfig, type ModelConfig } from './model-dir.js';
export { encodeTexts, type EncodeTextsOptions, type SequenceTokenizer } from './encode-texts.js';
export * from './tokenizer/index.js';
export * from './onnx/index.js';
// Re-exported for packages that depend on the encoder but not on the dataset (@libvq/glove's caches).
export { inference, embeddingsPath, type InferenceOptions, type InferenceResult } from './inference.js';
