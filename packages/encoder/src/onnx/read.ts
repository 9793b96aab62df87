import { LibvqError } from '@libvq/index-core';
import { ProtoWriter, littleEndianBytes } from '@libvq/index-core/util';

/**
 * A minimal ONNX *reader*: the graph's nodes, initializers and inputs/outputs, as training needs them to find a
 * model's weights (onnxruntime-node loads a model but does not show its initializers). Field numbers are
 * onnx.proto's. Every initializer remembers where its bytes are in the file, so the model can be written back
 * with new weights and every other byte as it was (rewriteInitializers).
 */

export interface ReadTensor {
  readonly name: string;
  readonly dims: readonly number[];
  /** TensorProto.DataType (1 float32, 7 int64, 11 float64, ...). */
  readonly dataType: number;
  /** Byte range of this TensorProto field (tag included) inside the graph message. */
  readonly span: { start: number; end: number };
  /** Payload bytes (raw_data, or the packed float_data / int64_data); null when stored externally. */
  readonly bytes: Uint8Array | null;
  /** Whether `bytes` are raw_data (little-endian values) or a packed repeated field. */
  readonly packed: boolean;
}

export interface ReadAttribute {
  readonly name: string;
  readonly i?: number;
  readonly f?: number;
  readonly s?: string;
  readonly ints?: readonly number[];
  readonly t?: ReadTensor;
}

export interface ReadNode {
  readonly op: string;
  readonly domain: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, ReadAttribute>;
}

export interface ReadGraph {
  readonly nodes: readonly ReadNode[];
  readonly initializers: ReadonlyMap<string, ReadTensor>;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Byte range of the graph message's content inside the model, and of the whole field (tag and length). */
  readonly content: { start: number; end: number };
  readonly field: { start: number; end: number };
}

class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, readonly file: string, start: number, readonly end: number) {
    this.pos = start;
  }

  fail(what: string): never {
    throw new LibvqError('BAD_FILE', `${this.file}: not a readable ONNX model (${what} at byte ${this.pos})`);
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    const start = this.pos;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) {
        if (i < 7) return result; // below 2^49: exact in a double
        // Longer varints (negative int64s are 10 bytes of two's complement): exact through BigInt.
        let v = 0n;
        for (let j = this.pos - 1; j >= start; j--) v = (v << 7n) | BigInt(this.buf[j] & 0x7f);
        return Number(BigInt.asIntN(64, v));
      }
    }
    return this.fail('varint longer than 10 bytes');
  }

  /** Next field: its number, wire type and, for length-delimited fields, the payload range. */
  field(): { num: number; wire: number; start: number; end: number; value: number } {
    const key = this.varint();
    const num = Math.floor(key / 8), wire = key % 8;
    const at = this.pos;
    switch (wire) {
      case 0: return { num, wire, start: at, end: at, value: this.varint() };
      case 1: this.skip(8); return { num, wire, start: at, end: at + 8, value: 0 };
      case 5: this.skip(4); return { num, wire, start: at, end: at + 4, value: 0 };
      case 2: {
        const n = this.varint();
        const s = this.pos;
        this.skip(n);
        return { num, wire, start: s, end: s + n, value: n };
      }
      default: return this.fail(`wire type ${wire}`);
    }
  }

  skip(n: number): void {
    if (this.pos + n > this.end) this.fail('field runs past its message');
    this.pos += n;
  }

  more(): boolean {
    return this.pos < this.end;
  }

  sub(start: number, end: number): Reader {
    return new Reader(this.buf, this.file, start, end);
  }

  text(start: number, end: number): string {
    return new TextDecoder().decode(this.buf.subarray(start, end));
  }

  packedVarints(start: number, end: number): number[] {
    const r = this.sub(start, end);
    const out: number[] = [];
    while (r.more()) out.push(r.varint());
    return out;
  }
}

function readTensor(r: Reader, span: { start: number; end: number }, fieldStart: number): ReadTensor {
  let name = '';
  const dims: number[] = [];
  let dataType = 0;
  let bytes: Uint8Array | null = null;
  let packed = false;
  let external = false;
  while (r.more()) {
    const f = r.field();
    if (f.num === 1) {
      if (f.wire === 2) dims.push(...r.packedVarints(f.start, f.end));
      else dims.push(f.value);
    } else if (f.num === 2) dataType = f.value;
    else if (f.num === 8) name = r.text(f.start, f.end);
    else if (f.num === 9) bytes = r.buf.subarray(f.start, f.end);
    else if ((f.num === 4 || f.num === 7 || f.num === 10) && f.wire === 2) {
      bytes = r.buf.subarray(f.start, f.end);
      packed = true;
    } else if (f.num === 14 && f.value === 1) external = true;
  }
  return { name, dims, dataType, span: { start: fieldStart, end: span.end }, bytes: external ? null : bytes, packed };
}

function readAttribute(r: Reader): ReadAttribute {
  const a: { name: string; i?: number; f?: number; s?: string; ints?: number[]; t?: ReadTensor } = { name: '' };
  while (r.more()) {
    const f = r.field();
    if (f.num === 1) a.name = r.text(f.start, f.end);
    else if (f.num === 2 && f.wire === 5) a.f = new DataView(r.buf.buffer, r.buf.byteOffset + f.start, 4).getFloat32(0, true);
    else if (f.num === 3) a.i = f.value;
    else if (f.num === 4) a.s = r.text(f.start, f.end);
    else if (f.num === 5) a.t = readTensor(r.sub(f.start, f.end), f, f.start);
    else if (f.num === 8) (a.ints ??= []).push(...(f.wire === 2 ? r.packedVarints(f.start, f.end) : [f.value]));
  }
  return a;
}

function readNode(r: Reader): ReadNode {
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attributes = new Map<string, ReadAttribute>();
  let op = '', domain = '', name = '';
  while (r.more()) {
    const f = r.field();
    if (f.num === 1) inputs.push(r.text(f.start, f.end));
    else if (f.num === 2) outputs.push(r.text(f.start, f.end));
    else if (f.num === 3) name = r.text(f.start, f.end);
    else if (f.num === 4) op = r.text(f.start, f.end);
    else if (f.num === 7) domain = r.text(f.start, f.end);
    else if (f.num === 5) {
      const a = readAttribute(r.sub(f.start, f.end));
      attributes.set(a.name, a);
    }
  }
  return { op, domain, name, inputs, outputs, attributes };
}

function valueInfoName(r: Reader): string {
  while (r.more()) {
    const f = r.field();
    if (f.num === 1) return r.text(f.start, f.end);
  }
  return '';
}

/** Reads the graph of an ONNX model file's bytes; `file` names it in errors. */
export function readOnnxGraph(buf: Uint8Array, file: string): ReadGraph {
  const model = new Reader(buf, file, 0, buf.length);
  let graph: ReadGraph | null = null;
  while (model.more()) {
    const fieldStart = model.pos;
    const f = model.field();
    if (f.num !== 7 || f.wire !== 2) continue;
    const r = model.sub(f.start, f.end);
    const nodes: ReadNode[] = [];
    const initializers = new Map<string, ReadTensor>();
    const inputs: string[] = [];
    const outputs: string[] = [];
    while (r.more()) {
      const at = r.pos;
      const g = r.field();
      if (g.wire !== 2) continue;
      if (g.num === 1) nodes.push(readNode(r.sub(g.start, g.end)));
      else if (g.num === 5) {
        const t = readTensor(r.sub(g.start, g.end), g, at);
        initializers.set(t.name, t);
      } else if (g.num === 11) inputs.push(valueInfoName(r.sub(g.start, g.end)));
      else if (g.num === 12) outputs.push(valueInfoName(r.sub(g.start, g.end)));
    }
    graph = { nodes, initializers, inputs, outputs, content: { start: f.start, end: f.end }, field: { start: fieldStart, end: f.end } };
  }
  if (!graph) throw new LibvqError('BAD_FILE', `${file}: not an ONNX model (no graph in it)`);
  return graph;
}

/** A float tensor's values (float32 raw_data or float_data); errors name the tensor and the file. */
export function tensorFloats(t: ReadTensor, file: string): Float32Array {
  if (t.dataType !== 1) throw new LibvqError('UNSUPPORTED', `${file}: initializer ${t.name} has ONNX data type ${t.dataType}, expected float32 (1)`);
  if (!t.bytes) throw new LibvqError('UNSUPPORTED', `${file}: initializer ${t.name} is stored as external data, which this reader does not follow`);
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.bytes.length !== n * 4) throw new LibvqError('BAD_FILE', `${file}: initializer ${t.name} [${t.dims.join(', ')}] holds ${t.bytes.length} bytes, expected ${n * 4}`);
  const out = new Float32Array(n);
  new Uint8Array(out.buffer).set(t.bytes); // raw_data and packed float_data are both little-endian float32s
  return out;
}

/**
 * The model with some float32 initializers replaced (same names, same dims): every other byte of the file — nodes,
 * opsets, metadata, the other initializers — is copied as it was. Returns the file's chunks in order.
 */
export function rewriteInitializers(buf: Uint8Array, graph: ReadGraph, replace: ReadonlyMap<string, Float32Array>, file: string): Uint8Array[] {
  const edits = [...replace].map(([name, data]) => {
    const t = graph.initializers.get(name);
    if (!t) throw new LibvqError('INVALID_ARGUMENT', `${file}: no initializer named ${name} to replace`);
    const n = t.dims.reduce((a, b) => a * b, 1);
    if (t.dataType !== 1 || data.length !== n) throw new LibvqError('DIMENSION_MISMATCH', `${file}: initializer ${name} is [${t.dims.join(', ')}] of type ${t.dataType}, the replacement has ${data.length} float32 values`);
    const w = new ProtoWriter();
    const tensor = new ProtoWriter();
    tensor.packedInt64(1, t.dims).uint(2, 1).string(8, name).bytes(9, littleEndianBytes(data));
    w.message(5, tensor);
    return { span: t.span, chunks: w.chunks() };
  }).sort((a, b) => a.span.start - b.span.start);
  const inner: Uint8Array[] = [];
  let at = graph.content.start;
  for (const e of edits) {
    inner.push(buf.subarray(at, e.span.start), ...e.chunks);
    at = e.span.end;
  }
  inner.push(buf.subarray(at, graph.content.end));
  const size = inner.reduce((s, c) => s + c.length, 0);
  // Field 7 (graph), length-delimited: the tag and the new length, then the rewritten content.
  const head = lengthDelimitedHeader(7, size);
  return [buf.subarray(0, graph.field.start), head, ...inner, buf.subarray(graph.field.end)];
}

function lengthDelimitedHeader(field: number, size: number): Uint8Array {
  const out: number[] = [];
  const push = (v: number) => {
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
  };
  push(field * 8 + 2);
  push(size);
  return Uint8Array.from(out);
}
