// The protocol-buffers writer lives in index-core with the ONNX model writer; re-exported for the encoder's code.
export { ProtoWriter, littleEndianBytes } from '@libvq/index-core/util';
