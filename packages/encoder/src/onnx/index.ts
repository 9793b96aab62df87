export { ProtoWriter, littleEndianBytes } from './protobuf.js';
export * from './model.js';
export { GraphBuilder } from './graph-builder.js';
export { writeOnnxModel } from './write.js';
