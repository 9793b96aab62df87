// @libvq/encoder: text encoders for LibVQ. Main entry: the BaseEncoder a user subclasses, the Encoder of a query
// and a document tower, the ONNX encoder (OnnxEncoder.fromPretrained(dir)), tokenizers and LibVQ's inference step.
// Writing ONNX graphs is on @libvq/encoder/onnx; the building blocks of encoders on @libvq/encoder/model.
export { BaseEncoder, Encoder, type Tower } from './base-encoder.js';
export { padBatch, type TokenBatch } from './batch.js';
export type { Pooling } from './pooling.js';
export { OnnxEncoder, type OnnxEncoderOptions } from './onnx-encoder.js';
export { HfTokenizer } from './tokenizer/hf-tokenizer.js';
export { loadTokenizer } from './tokenizer/load.js';
export { encodeTexts, type EncodeTextsOptions } from './encode-texts.js';
export { inference, type InferenceOptions, type InferenceResult } from './inference.js';
