import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { LibvqError } from '@libvq/index-core';
import { readEmbeddings, readVectors, writeVectors } from '../src/index.js';
import { python, sampleData, tempDir } from './helpers/tmp.js';

const dir = tempDir();

async function rejects(p: Promise<unknown>, ...parts: (string | RegExp)[]): Promise<LibvqError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LibvqError);
  for (const part of parts) expect((err as Error).message).toMatch(part);
  return err as LibvqError;
}

describe('.npy', () => {
  it('reads float32 and float64 arrays written by numpy', async () => {
    const p32 = join(dir, 'a32.npy');
    const p64 = join(dir, 'a64.npy');
    python(`
import numpy as np
a = (np.sin(np.arange(35) * 1.7 + 0.3) * (1 + np.arange(35) % 7)).reshape(5, 7)
np.save('${p32}', a.astype(np.float32))
np.save('${p64}', a.astype(np.float64))
`);
    const expected = sampleData(5, 7);
    const a = await readVectors(p32);
    expect(a.matrix.rows).toBe(5);
    expect(a.matrix.dim).toBe(7);
    expect(Array.from(a.matrix.data)).toEqual(Array.from(expected));
    const b = await readVectors(p64);
    // float64 -> float32 rounding of the same float64 values numpy computed.
    for (let i = 0; i < 35; i++) expect(b.matrix.data[i]).toBeCloseTo(expected[i], 6);
  });

  it('writes .npy 1.0 float32 that numpy reads back bit for bit', async () => {
    const p = join(dir, 'ours.npy');
    const data = sampleData(9, 3);
    await writeVectors(p, { rows: 9, dim: 3, data });
    const out = python(`
import numpy as np
a = np.load('${p}')
f = open('${p}', 'rb').read(8)
print(a.dtype, a.shape, a.flags['C_CONTIGUOUS'], f[6], f[7])
print(' '.join(repr(float(x)) for x in a.ravel()))
`).split('\n');
    expect(out[0]).toBe('float32 (9, 3) True 1 0');
    expect(out[1].split(' ').map(Number)).toEqual(Array.from(data));
    const header = readFileSync(p);
    expect((10 + header.readUInt16LE(8)) % 64).toBe(0);
  });

  it('round-trips zero rows', async () => {
    const p = join(dir, 'empty.npy');
    await writeVectors(p, { rows: 0, dim: 4, data: new Float32Array(0) });
    expect(python(`import numpy as np; print(np.load('${p}').shape)`).trim()).toBe('(0, 4)');
    const r = await readVectors(p);
    expect([r.matrix.rows, r.matrix.dim]).toEqual([0, 4]);
  });

  it('rejects truncated files, bad magic, Fortran order, other dtypes and shapes', async () => {
    const good = join(dir, 'good.npy');
    python(`import numpy as np; np.save('${good}', np.ones((4, 3), np.float32))`);
    const bytes = readFileSync(good);
    const cut = join(dir, 'cut.npy');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 5));
    await rejects(readVectors(cut), cut, /truncated/, /\(4, 3\)/);
    const tooLong = join(dir, 'long.npy');
    writeFileSync(tooLong, Buffer.concat([bytes, Buffer.alloc(4)]));
    await rejects(readVectors(tooLong), tooLong, /4 unexpected bytes/);
    const tiny = join(dir, 'tiny.npy');
    writeFileSync(tiny, bytes.subarray(0, 20));
    await rejects(readVectors(tiny), tiny, /truncated/);
    const magic = join(dir, 'magic.npy');
    writeFileSync(magic, Buffer.concat([Buffer.from('XXNUMPY'), bytes.subarray(7)]));
    await rejects(readVectors(magic), magic, /not a \.npy file/);
    const cases: Array<[string, string, RegExp]> = [
      ['fortran.npy', `np.save(P, np.asfortranarray(np.ones((3, 4), np.float32)))`, /Fortran order/],
      ['int.npy', `np.save(P, np.ones((3, 4), np.int32))`, /dtype "<i4"/],
      ['big.npy', `np.save(P, np.ones((3, 4), '>f4'))`, /dtype ">f4"/],
      ['oned.npy', `np.save(P, np.ones(5, np.float32))`, /shape \(5\), expected 2-D/],
      ['threed.npy', `np.save(P, np.ones((2, 2, 2), np.float32))`, /shape \(2, 2, 2\)/],
    ];
    for (const [name, code, msg] of cases) {
      const p = join(dir, name);
      python(`import numpy as np; P = '${p}'; ${code}`);
      await rejects(readVectors(p), p, msg);
    }
  });

  it('reads format 2.0 headers', async () => {
    const p = join(dir, 'v2.npy');
    python(`
import numpy as np
from numpy.lib import format as F
a = np.arange(6, dtype=np.float32).reshape(2, 3)
with open('${p}', 'wb') as f: F.write_array(f, a, version=(2, 0))
`);
    const r = await readVectors(p);
    expect(Array.from(r.matrix.data)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('reports NaN and Inf by row', async () => {
    const p = join(dir, 'nan.npy');
    python(`
import numpy as np
a = np.zeros((5, 2), np.float32); a[3, 1] = np.nan
np.save('${p}', a)
`);
    await rejects(readVectors(p), p, /row 3, component 1 is NaN/);
    const q = join(dir, 'inf.npy');
    python(`
import numpy as np
a = np.zeros((5, 2), np.float64); a[2, 0] = 1e300
np.save('${q}', a)
`);
    // 1e300 does not fit float32: the conversion gives Infinity, which must not pass silently.
    await rejects(readVectors(q), q, /row 2, component 0 is Infinity/);
  });
});

describe('.fvecs', () => {
  it('reads hand-made bytes and matches faiss/texmex layout on write', async () => {
    const p = join(dir, 'hand.fvecs');
    const buf = Buffer.alloc(2 * (4 + 3 * 4));
    buf.writeInt32LE(3, 0);
    [1.5, -2, 3.25].forEach((v, i) => buf.writeFloatLE(v, 4 + 4 * i));
    buf.writeInt32LE(3, 16);
    [0, 7, -0.5].forEach((v, i) => buf.writeFloatLE(v, 20 + 4 * i));
    writeFileSync(p, buf);
    const r = await readVectors(p);
    expect([r.matrix.rows, r.matrix.dim]).toEqual([2, 3]);
    expect(Array.from(r.matrix.data)).toEqual([1.5, -2, 3.25, 0, 7, -0.5]);
    const q = join(dir, 'ours.fvecs');
    await writeVectors(q, r.matrix);
    expect(readFileSync(q).equals(buf)).toBe(true);
  });

  it('round-trips many rows (several read slices) and agrees with numpy', async () => {
    const rows = 20000;
    const data = sampleData(rows, 5);
    const p = join(dir, 'many.fvecs');
    await writeVectors(p, { rows, dim: 5, data });
    const sum = python(`
import numpy as np
a = np.fromfile('${p}', dtype='<i4').reshape(-1, 6)
assert (a[:, 0] == 5).all()
print(repr(float(a[:, 1:].view('<f4').astype(np.float64).sum())))
`);
    let s = 0;
    for (const v of data) s += v;
    expect(Number(sum)).toBeCloseTo(s, 6);
    const r = await readVectors(p);
    expect(r.matrix.data).toEqual(data);
  });

  it('rejects truncated files and rows with another dimension', async () => {
    const p = join(dir, 'trunc.fvecs');
    await writeVectors(p, { rows: 3, dim: 4, data: sampleData(3, 4) });
    const bytes = readFileSync(p);
    const cut = join(dir, 'cut.fvecs');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 4));
    await rejects(readVectors(cut), cut, /not a multiple of the row size 20/);
    const bad = Buffer.from(bytes);
    bad.writeInt32LE(5, 40);
    const badPath = join(dir, 'baddim.fvecs');
    writeFileSync(badPath, bad);
    await rejects(readVectors(badPath), badPath, /row 2 declares dimension 5, row 0 declared 4/);
    const empty = join(dir, 'empty.fvecs');
    writeFileSync(empty, Buffer.alloc(0));
    await rejects(readVectors(empty), empty, /empty/);
  });
});

describe('.memmap', () => {
  it('reads LibVQ headerless float32 with a given dim', async () => {
    const p = join(dir, 'docs.memmap');
    python(`
import numpy as np
m = np.memmap('${p}', dtype=np.float32, mode='w+', shape=(4, 6))
m[:] = np.arange(24, dtype=np.float32).reshape(4, 6) / 8
m.flush()
`);
    const r = await readVectors(p, { dim: 6 });
    expect([r.matrix.rows, r.matrix.dim]).toEqual([4, 6]);
    expect(Array.from(r.matrix.data)).toEqual(Array.from({ length: 24 }, (_, i) => i / 8));
    const q = join(dir, 'ours.memmap');
    await writeVectors(q, r.matrix);
    expect(readFileSync(q).equals(readFileSync(p))).toBe(true);
  });

  it('needs dim and refuses sizes that are not whole rows', async () => {
    const p = join(dir, 'x.memmap');
    writeFileSync(p, Buffer.alloc(4 * 10));
    await rejects(readVectors(p), p, /pass the vector dimension/);
    await rejects(readVectors(p, { dim: 3 }), p, /40 bytes is not a whole number of float32 rows of dimension 3/);
    await rejects(readVectors(join(dir, 'missing.memmap'), { dim: 2 }), /missing\.memmap: no such file/);
  });
});

describe('Arrow vector files', () => {
  it('round-trips vectors, ids and metadata; the column is FixedSizeList<Float32>[d]', async () => {
    const p = join(dir, 'emb.arrow');
    const data = sampleData(7, 5);
    await writeVectors(p, { rows: 7, dim: 5, data }, { ids: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], metadata: { encoder: 'glove-100', pooling: 'mean', normalized: true } });
    const r = await readVectors(p);
    expect(r.matrix.data).toEqual(data);
    expect(r.ids).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(r.metadata).toEqual({ encoder: 'glove-100', pooling: 'mean', normalized: true });
    await rejects(readVectors(p, { dim: 4 }), p, /"embedding" has type .*expected FixedSizeList<Float32>\[4\]/);
  });

  it('writes several record batches and integer ids; reads them back in order', async () => {
    const p = join(dir, 'multi.feather');
    const rows = 1000;
    const data = sampleData(rows, 3);
    const ids = BigInt64Array.from({ length: rows }, (_, i) => BigInt(i * 10));
    const { writeEmbeddings } = await import('../src/index.js');
    await writeEmbeddings(p, { rows, dim: 3, data }, { ids, batchRows: 128 });
    const r = await readEmbeddings(p);
    expect(r.matrix.data).toEqual(data);
    expect(r.ids).toEqual(ids);
  });

  it('is readable by pyarrow-free numpy: the raw values sit in the file as float32', async () => {
    // No pyarrow here, so the independent check is on the bytes: every float32 of the matrix appears
    // contiguously in the file body (FixedSizeList<Float32> stores one flat child buffer).
    const p = join(dir, 'raw.arrow');
    const data = sampleData(4, 4);
    await writeVectors(p, { rows: 4, dim: 4, data });
    const file = readFileSync(p);
    expect(file.subarray(0, 6).toString('latin1')).toBe('ARROW1');
    expect(file.indexOf(Buffer.from(data.buffer))).toBeGreaterThan(0);
  });

  it('rejects files without a vector column, with wrong types, non-Arrow and truncated files', async () => {
    const noVec = join(dir, 'novec.arrow');
    writeFileSync(noVec, tableToIPC(tableFromArrays({ x: Float32Array.of(1, 2) }), 'file'));
    await rejects(readVectors(noVec), noVec, /no "embedding" or "vector" column and no FixedSizeList<Float32> columns; the columns are "x": Float32/);
    await rejects(readVectors(noVec, { column: 'x' }), noVec, /column "x" has type Float32, expected FixedSizeList<Float32>/);
    const stream = join(dir, 'stream.arrow');
    writeFileSync(stream, tableToIPC(tableFromArrays({ x: Float32Array.of(1, 2) }), 'stream'));
    // An Arrow IPC stream is read like a file; one without a vector column is refused the same way.
    await rejects(readVectors(stream), stream, /the columns are "x": Float32/);
    const junk = join(dir, 'junk.arrow');
    writeFileSync(junk, 'not arrow at all');
    await rejects(readVectors(junk), junk, /not an Arrow IPC file or stream/);
    const good = join(dir, 'good.arrow');
    await writeVectors(good, { rows: 50, dim: 4, data: sampleData(50, 4) });
    const cut = join(dir, 'cut.arrow');
    writeFileSync(cut, readFileSync(good).subarray(0, 300));
    await rejects(readVectors(cut), cut, /truncated/);
    const nan = join(dir, 'nan.arrow');
    const d = sampleData(6, 2);
    d[9] = Number.NaN;
    const { writeEmbeddings } = await import('../src/index.js');
    await expect(writeEmbeddings(nan, { rows: 6, dim: 2, data: d })).rejects.toThrow(/row 4, component 1 is NaN/);
  });

  it('rejects unknown extensions and ids in formats that cannot hold them', async () => {
    await rejects(readVectors(join(dir, 'x.bin')), /unknown vector file extension "\.bin"/);
    await rejects(writeVectors(join(dir, 'x.npy'), { rows: 1, dim: 1, data: Float32Array.of(1) }, { ids: ['a'] }), /only be stored in an Arrow file/);
  });
});
