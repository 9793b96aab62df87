import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, encodeModel } from '../src/onnx.js';
import { ProtoWriter } from '../src/onnx/protobuf.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('ProtoWriter wire format', () => {
  it('encodes the protobuf documentation examples', () => {
    // developers.google.com/protocol-buffers/docs/encoding: field 1 = 150 -> 08 96 01; field 2 = "testing".
    expect(hex(new ProtoWriter().uint(1, 150).finish())).toBe('089601');
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    // Embedded message field 3 holding {1: 150} -> 1a 03 08 96 01.
    expect(hex(new ProtoWriter().message(3, new ProtoWriter().uint(1, 150)).finish())).toBe('1a03089601');
  });
  it('encodes negative int64 as ten-byte two\'s complement, packed ints and floats', () => {
    expect(hex(new ProtoWriter().int64(1, -1).finish())).toBe('08ffffffffffffffffff01');
    expect(hex(new ProtoWriter().int64(1, 2n ** 40n).finish())).toBe('08808080808020') // 2^40: five zero 7-bit groups, then 0x20;
    // Packed [3, 270, 86942] from the documentation: 22 06 03 8e 02 9e a7 05 (field 4).
    expect(hex(new ProtoWriter().packedInt64(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705');
    // 1.0f = 0x3f800000 little-endian, wire type 5.
    expect(hex(new ProtoWriter().float(2, 1).finish())).toBe('150000803f');
    expect(hex(new ProtoWriter().packedFloat(7, [1, -2]).finish())).toBe('3a080000803f000000c0');
  });
  it('keeps large payloads as chunks and reports the right length', () => {
    const big = new Uint8Array(10_000).fill(7);
    const w = new ProtoWriter().uint(1, 5).bytes(2, big).uint(3, 1);
    const bytes = w.finish();
    expect(w.length).toBe(bytes.length);
    expect(bytes.length).toBe(2 + 1 + 2 + 10_000 + 2);
    expect(hex(bytes.subarray(0, 5))).toBe('0805' + '12904e');
  });
});

describe('ONNX models written here run in onnxruntime', () => {
  it('every attribute kind and initializer type is understood', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['n', 3]);
    const w = b.init('float32', [2, 3], Float32Array.of(1, 0, 2, 0, 1, -1));
    // Gemm: alpha (float attr), transB (int attr): y = 0.5 * x @ w^T.
    const y = b.op('Gemm', [x, w], { alpha: { f: 0.5 }, transB: { i: 1 } });
    // Transpose (ints attr) then Constant (tensor attr) added.
    const yt = b.op('Transpose', [y], { perm: { ints: [1, 0] } });
    const c = b.op('Constant', [], { value: { t: { name: 'c', type: 'float32', shape: [2, 1], data: Float32Array.of(10, 20) } } });
    const z = b.op('Add', [yt, c]);
    // Cast to int64 (int attr), back through an int64 initializer and a float64 one.
    const zi = b.op('Cast', [z], { to: { i: 7 } });
    const zi2 = b.op('Add', [zi, b.init('int64', [1], BigInt64Array.of(-3n))]);
    const zd = b.op('Add', [b.op('Cast', [zi2], { to: { i: 11 } }), b.init('float64', [1], Float64Array.of(0.25))]);
    b.output(zd, 'out', 'float64', [2, 'n']);
    const session = await ort.InferenceSession.create(new Uint8Array(Buffer.concat(encodeModel(b.build('attrs'), { metadata: { k: 'v' } }))));
    const r = await session.run({ x: new ort.Tensor('float32', Float32Array.of(2, 4, 6, 1, 1, 1), [2, 3]) });
    // x@w^T rows: [2+12, 4-6] = [14, -2], [1+2, 1-1] = [3, 0]; *0.5 -> [7,-1],[1.5,0]; transposed + [10,20]:
    // [[17, 11.5], [19, 20]]; to int64 (truncation toward zero): [[17, 11], [19, 20]]; -3 then +0.25.
    expect(Array.from(r.out.data as Float64Array)).toEqual([14.25, 8.25, 16.25, 17.25]);
    expect(r.out.dims).toEqual([2, 2]);
    await session.release();
  });
});
