import type { TensorData } from '@libvq/index-core';
import type { OnnxAttribute, OnnxDataType, OnnxGraph, OnnxNode, OnnxTensor, OnnxValueInfo } from './model.js';

/**
 * Builds an ONNX graph op by op, naming intermediate values for you: `b.op('MatMul', [x, w])` returns the
 * name of the new value. Keeps model-generating code (glove-100, the tiny BERT of the tests) readable.
 */
export class GraphBuilder {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxTensor[] = [];
  private readonly inputs: OnnxValueInfo[] = [];
  private readonly outputs: OnnxValueInfo[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  private fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.names.has(name));
    this.names.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new RangeError(`ONNX graph: value name "${name}" is already used`);
    this.names.add(name);
    return name;
  }

  input(name: string, type: OnnxDataType, shape: ReadonlyArray<number | string>): string {
    this.inputs.push({ name: this.claim(name), type, shape });
    return name;
  }

  /** Declares a graph output; the value is renamed through an Identity node when needed. */
  output(value: string, name: string, type: OnnxDataType, shape: ReadonlyArray<number | string>): void {
    if (value !== name) this.nodes.push({ op: 'Identity', inputs: [value], outputs: [this.claim(name)] });
    this.outputs.push({ name, type, shape });
  }

  /** A constant tensor stored as an initializer. */
  init(type: OnnxDataType, dims: readonly number[], data: TensorData, name?: string): string {
    const n = name === undefined ? this.fresh('const') : this.claim(name);
    this.initializers.push({ name: n, type, shape: dims, data });
    return n;
  }

  int64s(values: readonly number[]): string {
    return this.init('int64', [values.length], BigInt64Array.from(values, (v) => BigInt(v)));
  }

  scalarInt64(v: number): string {
    return this.init('int64', [], BigInt64Array.of(BigInt(v)));
  }

  scalarFloat(v: number): string {
    return this.init('float32', [], Float32Array.of(v));
  }

  /** Adds one node with one output and returns the output's name. An empty input name means "omitted". */
  op(op: string, inputs: readonly string[], attributes?: Record<string, OnnxAttribute>, outputName?: string): string {
    const out = outputName === undefined ? this.fresh(op.toLowerCase()) : this.claim(outputName);
    this.nodes.push({ op, inputs, outputs: [out], attributes });
    return out;
  }

  build(name: string): OnnxGraph {
    return { name, nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs };
  }
}
