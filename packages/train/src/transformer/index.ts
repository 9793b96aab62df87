// @libvq/train/transformer: a BERT-family encoder in TypeScript with its backward pass, read from and written back
// to model directories (ONNX graphs recognised by structure, model.safetensors). TransformerTower trains it.
export { BertModel } from './bert-model.js';
export { checkBertConfig, bertConfigFromHf, bertConfigToHf, type BertConfig } from './bert-config.js';
export { bertTensorSpecs, randomBertWeights, layerNames, EMB, type BertWeights, type BertTensorSpec } from './bert-weights.js';
export { loadBertDir, writeBertDir, probeBatch, type BertModelDir, type LoadBertOptions } from './bert-dir.js';
export { recognizeBertGraph, type RecognizedBert, type BertGraphHints, type OnnxWeightMap } from './bert-onnx.js';
export { bertOnnxGraph } from './bert-graph.js';
export { erf } from './gelu.js';
export { bertFromWordVectors, type FromWordVectorsOptions } from './from-word-vectors.js';
