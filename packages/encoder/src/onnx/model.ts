// The ONNX model writer lives in index-core (its native backend writes kernel graphs with it); the encoder's
// onnx subpath re-exports it under the names it always had.
export {
  encodeModel,
  type OnnxGraph, type OnnxTensor, type OnnxNode, type OnnxAttribute, type OnnxDataType, type OnnxValueInfo, type OnnxModelOptions,
} from '@libvq/index-core/util';
