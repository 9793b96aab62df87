// @libvq/encoder/onnx: an ONNX model writer (the subset of onnx.proto libvq-ts needs) and a graph builder, used
// to generate the glove-100 model and the models tests run through onnxruntime; a reader of a model's graph and
// initializers, and the rewrite of its initializers (training a transformer's weights and writing them back).
export { GraphBuilder } from './onnx/graph-builder.js';
export { writeOnnxModel } from './onnx/write.js';
export { readOnnxGraph, rewriteInitializers, tensorFloats, type ReadGraph, type ReadNode, type ReadTensor, type ReadAttribute } from './onnx/read.js';
export { encodeModel, type OnnxGraph, type OnnxTensor, type OnnxNode, type OnnxAttribute, type OnnxDataType, type OnnxValueInfo, type OnnxModelOptions } from './onnx/model.js';
export { wordLevelTokenizerJson, type WordLevelSpec } from './tokenizer/word-level.js';
