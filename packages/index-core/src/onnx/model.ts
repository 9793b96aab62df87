import type { Tensor } from '../tensor.js';
import { ProtoWriter, littleEndianBytes } from './protobuf.js';

/**
 * The subset of onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto)
 * that libvq-ts writes: field numbers below are onnx.proto's. Used to generate the glove-100 model, the native backend's kernels and
 * the models tests run through onnxruntime.
 */
export type OnnxDataType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'uint8';

/** TensorProto.DataType enum values. */
const DATA_TYPE: Record<OnnxDataType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float64: 11 };

/** An initializer: a Tensor (index-core's one tensor type) with its ONNX name and element type. */
export interface OnnxTensor extends Tensor {
  readonly name: string;
  readonly type: OnnxDataType;
}

/** One attribute value; the key says its ONNX type (an int and a float are both JS numbers). */
export type OnnxAttribute =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { t: OnnxTensor };

export interface OnnxNode {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  attributes?: Record<string, OnnxAttribute>;
}

/** A graph input/output: dims are sizes or symbolic names ('batch', 'seq'). */
export interface OnnxValueInfo {
  name: string;
  type: OnnxDataType;
  shape: ReadonlyArray<number | string>;
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
}

export interface OnnxModelOptions {
  /** Default opset 18 (all Reduce* ops take axes as an input from 18 on). */
  opset?: number;
  irVersion?: number;
  producer?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

const ELEMENT_BYTES: Record<OnnxDataType, number> = { float32: 4, float64: 8, int32: 4, int64: 8, bool: 1, uint8: 1 };

export function encodeTensor(t: OnnxTensor): ProtoWriter {
  const count = t.shape.reduce((a, b) => a * b, 1);
  const bytes = littleEndianBytes(t.data);
  if (bytes.length !== count * ELEMENT_BYTES[t.type]) {
    throw new RangeError(`ONNX tensor "${t.name}": shape [${t.shape.join(', ')}] of ${t.type} need ${count * ELEMENT_BYTES[t.type]} bytes, data has ${bytes.length}`);
  }
  const w = new ProtoWriter();
  w.packedInt64(1, t.shape); // dims
  w.uint(2, DATA_TYPE[t.type]); // data_type
  w.string(8, t.name); // name
  w.bytes(9, bytes); // raw_data
  return w;
}

function encodeAttribute(name: string, a: OnnxAttribute): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  // AttributeProto.type enum: FLOAT=1, INT=2, STRING=3, TENSOR=4, FLOATS=6, INTS=7.
  if ('i' in a) w.int64(3, a.i).uint(20, 2);
  else if ('f' in a) w.float(2, a.f).uint(20, 1);
  else if ('s' in a) w.string(4, a.s).uint(20, 3);
  else if ('ints' in a) w.packedInt64(8, a.ints).uint(20, 7);
  else if ('floats' in a) w.packedFloat(7, a.floats).uint(20, 6);
  else w.message(5, encodeTensor(a.t)).uint(20, 4);
  return w;
}

function encodeNode(n: OnnxNode, index: number): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name ?? `${n.op}_${index}`);
  w.string(4, n.op);
  for (const [k, v] of Object.entries(n.attributes ?? {})) w.message(5, encodeAttribute(k, v));
  return w;
}

function encodeValueInfo(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int64(1, d); // dim_value
    else dim.string(2, d); // dim_param
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().uint(1, DATA_TYPE[v.type]).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}

export function encodeGraph(g: OnnxGraph): ProtoWriter {
  const w = new ProtoWriter();
  g.nodes.forEach((n, i) => w.message(1, encodeNode(n, i)));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, encodeTensor(t));
  for (const v of g.inputs) w.message(11, encodeValueInfo(v));
  for (const v of g.outputs) w.message(12, encodeValueInfo(v));
  return w;
}

/** Encodes a ModelProto; returns chunks (large initializers are referenced, not copied). */
export function encodeModel(g: OnnxGraph, opts: OnnxModelOptions = {}): Uint8Array[] {
  const w = new ProtoWriter();
  // IR version 8 is the one that goes with opsets 15..18.
  w.int64(1, opts.irVersion ?? 8);
  w.string(2, opts.producer ?? 'libvq-ts');
  if (opts.docString) w.string(6, opts.docString);
  w.message(7, encodeGraph(g));
  w.message(8, new ProtoWriter().string(1, '').int64(2, opts.opset ?? 18));
  for (const [k, v] of Object.entries(opts.metadata ?? {})) {
    w.message(14, new ProtoWriter().string(1, k).string(2, v));
  }
  return w.chunks();
}
