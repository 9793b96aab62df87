import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tensor } from '@libvq/index-core';
import { decodeSafetensors, encodeSafetensors, expectTensor, safeDtype } from '../src/checkpoint/index.js';

const dir = mkdtempSync(join(tmpdir(), 'libvq-st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('safetensors', () => {
  const tensors = {
    codebook: tensor(Float32Array.from({ length: 24 }, (_, i) => i / 7 - 1), [2, 3, 4]),
    doc_lists: tensor(Int32Array.from([3, -1, 7]), [3]),
    doc_codes: tensor(Uint8Array.from([0, 255, 9, 1, 2]), [5, 1]),
    f64: tensor(Float64Array.from([Math.PI, -0]), [2]),
  };
  const bytes = encodeSafetensors(tensors, { format: 'test' });

  it('round-trips every dtype with its shape and metadata; data is 8-byte aligned', () => {
    const dec = decodeSafetensors(bytes, 'mem');
    expect(dec.metadata).toEqual({ format: 'test' });
    for (const [k, t] of Object.entries(tensors)) {
      expect(safeDtype(dec.tensors[k].data)).toBe(safeDtype(t.data));
      expect(dec.tensors[k].shape).toEqual(t.shape);
      expect(Array.from(dec.tensors[k].data as ArrayLike<number>)).toEqual(Array.from(t.data as ArrayLike<number>));
    }
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
  });

  it('is read identically by an independent numpy parser', () => {
    const file = join(dir, 't.safetensors');
    writeFileSync(file, bytes);
    const py = `
import json, struct, sys, numpy as np
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8+n])
dt = {'F32': '<f4', 'F64': '<f8', 'I32': '<i4', 'U8': 'u1'}
out = {}
for k, v in h.items():
    if k == '__metadata__': continue
    s, e = v['data_offsets']
    a = np.frombuffer(b[8+n+s:8+n+e], dtype=dt[v['dtype']]).reshape(v['shape'])
    out[k] = [list(a.shape), float(a.astype(np.float64).sum()), a.ravel().tolist()[:3]]
print(json.dumps(out))`;
    const res = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, file]).toString());
    expect(res.codebook[0]).toEqual([2, 3, 4]);
    let sum = 0;
    for (const v of tensors.codebook.data as Float32Array) sum += v;
    expect(res.codebook[1]).toBeCloseTo(sum, 4);
    expect(res.doc_lists[2]).toEqual([3, -1, 7]);
    expect(res.doc_codes[2]).toEqual([0, 255, 9]);
    expect(res.f64[2][0]).toBe(Math.PI);
  });

  it('rejects truncated files, bad headers and wrong shapes, naming the tensor', () => {
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 1), 'x.st')).toThrow(/x\.st/);
    const bad = Uint8Array.from(bytes);
    bad[8] = 0x7b + 1; // corrupt the JSON
    expect(() => decodeSafetensors(bad, 'y.st')).toThrow(/y\.st.*JSON/);
    expect(() => decodeSafetensors(new Uint8Array(4), 'z.st')).toThrow(/too short/);
    const dec = decodeSafetensors(bytes, 'w.st');
    expect(() => expectTensor(dec, 'w.st', 'codebook', 'F32', [2, 3, 5])).toThrow(/"codebook".*expected F32 \[2, 3, 5\]/);
    expect(() => expectTensor(dec, 'w.st', 'nope', 'F32', [1])).toThrow(/"nope" is missing/);
  });
});
