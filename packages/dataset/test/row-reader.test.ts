import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LibvqError, type Matrix } from '@libvq/index-core';
import { createRng, gatherRows, sliceRows } from '@libvq/index-core/util';
import { openRowReader, writeFvecs, writeMemmap, writeNpy } from '../src/formats.js';
import { readVectors } from '../src/index.js';
import { tempDir } from './helpers/tmp.js';

/*
 * openRowReader (random row access for training from a file, issue 13) against the whole-file reader as the
 * oracle: random row sets (unsorted, repeated, adjacent and far apart, with buffers smaller than a run) and blocks
 * equal readVectors' rows, for every fixed-stride format; bad rows and damaged files are errors naming the file.
 */
const dir = tempDir('libvq-row-reader-');
const ROWS = 1037;
const DIM = 12;

function randomMatrix(rows: number, dim: number, seed: number): Matrix {
  const rng = createRng(seed);
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < data.length; i++) data[i] = rng.next() * 2 - 1;
  return { rows, dim, data };
}

/** A float64 .npy 1.0 file (numpy.save of a float64 array), written here so the test needs no numpy. */
function writeNpyF64(path: string, values: Float64Array, rows: number, dim: number): void {
  const dict = `{'descr': '<f8', 'fortran_order': False, 'shape': (${rows}, ${dim}), }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = dict + ' '.repeat(total - 10 - dict.length - 1) + '\n';
  const pre = new Uint8Array(10);
  pre.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(pre.buffer).setUint16(8, header.length, true);
  writeFileSync(path, Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(values.buffer, values.byteOffset, values.byteLength)]));
}

const x = randomMatrix(ROWS, DIM, 5);

/** Row sets: random with repeats, sorted runs, the first and last row, one row, none. */
function rowSets(seed: number): Int32Array[] {
  const rng = createRng(seed);
  const sets: Int32Array[] = [];
  for (const n of [1, 7, 300, 2000]) sets.push(Int32Array.from({ length: n }, () => rng.int(ROWS)));
  sets.push(Int32Array.from({ length: 200 }, (_, i) => 400 + i)); // one contiguous run
  sets.push(Int32Array.from([ROWS - 1, 0, ROWS - 1, 5, 4, 3, 500, 501, 499]));
  sets.push(new Int32Array(0));
  return sets;
}

describe('openRowReader', () => {
  it('gathers the rows readVectors reads (npy f32 / f64, fvecs, memmap; any buffer size) and blocks of them', async () => {
    const f64 = new Float64Array(ROWS * DIM);
    for (let i = 0; i < f64.length; i++) f64[i] = x.data[i] + 1e-9 * ((i % 5) - 2); // float64 values that round
    const files: [string, { dim?: number }][] = [
      [join(dir, 'a.npy'), {}],
      [join(dir, 'b.npy'), {}],
      [join(dir, 'c.fvecs'), {}],
      [join(dir, 'd.memmap'), { dim: DIM }],
    ];
    await writeNpy(files[0][0], x);
    writeNpyF64(files[1][0], f64, ROWS, DIM);
    await writeFvecs(files[2][0], x);
    await writeMemmap(files[3][0], x);
    for (const [path, o] of files) {
      const whole = (await readVectors(path, o)).matrix;
      expect(whole.rows).toBe(ROWS);
      for (const bufferBytes of [1, 4 * (DIM + 1) * 3 + 5, undefined]) {
        const reader = await openRowReader(path, { ...o, bufferBytes });
        try {
          expect([reader.rows, reader.dim]).toEqual([ROWS, DIM]);
          for (const rows of rowSets(11)) {
            const got = reader.gather(rows);
            expect(got.rows).toBe(rows.length);
            expect(Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength).equals(Buffer.from(gatherRows(whole, rows).data.buffer))).toBe(true);
          }
          for (const [s, e] of [[0, ROWS], [0, 1], [17, 530], [ROWS - 3, ROWS], [9, 9]]) {
            const got = reader.block(s, e);
            expect(Array.from(got.data)).toEqual(Array.from(sliceRows(whole, s, e).data));
          }
          // Into a caller's buffer: the returned matrix is a view of it.
          const out = new Float32Array(10 * DIM + 3);
          const m = reader.gather([3, 2, 1], out);
          expect(m.data.buffer).toBe(out.buffer);
          expect(Array.from(m.data)).toEqual(Array.from(gatherRows(whole, [3, 2, 1]).data));
          expect(() => reader.gather([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], out)).toThrow(/out/);
        } finally {
          reader.close();
          reader.close(); // idempotent
        }
      }
    }
  });

  it('refuses rows outside the file, naming the file; reads after close fail', async () => {
    const path = join(dir, 'rows.npy');
    await writeNpy(path, x);
    const r = await openRowReader(path);
    expect(() => r.gather([0, ROWS])).toThrow(new RegExp(`rows\\[1\\].*${path.replace(/[.]/g, '\\.')}.*0\\.\\.${ROWS - 1}.*got ${ROWS}`));
    expect(() => r.gather([-1])).toThrow(/rows\[0\]/);
    expect(() => r.gather([1.5])).toThrow(/rows\[0\]/);
    expect(() => r.block(5, ROWS + 1)).toThrow(/block/);
    expect(() => r.block(6, 5)).toThrow(/block/);
    r.close();
    expect(() => r.gather([0])).toThrow(/closed/);
  });

  it('names the file and row of a non-finite value, a bad fvecs row header, a truncated file', async () => {
    const bad = { rows: 4, dim: 3, data: Float32Array.from({ length: 12 }, (_, i) => i) };
    const path = join(dir, 'nan.memmap');
    await writeMemmap(path, bad);
    // Poke a NaN into row 2 after writing (the writers refuse non-finite values).
    const bytes = new Float32Array(bad.data);
    bytes[2 * 3 + 1] = Number.NaN;
    writeFileSync(path, Buffer.from(bytes.buffer));
    const r = await openRowReader(path, { dim: 3 });
    try {
      expect(r.gather([0, 1, 3]).rows).toBe(3);
      expect(() => r.gather([3, 2])).toThrow(new RegExp(`nan\\.memmap: row 2, component 1 is NaN`));
      expect(() => r.block(1, 4)).toThrow(/nan\.memmap: row 2, component 1 is NaN/);
    } finally {
      r.close();
    }

    const fv = join(dir, 'hdr.fvecs');
    await writeFvecs(fv, bad);
    const raw = new Int32Array(new Uint8Array(readFileSync(fv)).buffer);
    raw[3 * 4] = 7; // row 3's dimension field
    writeFileSync(fv, Buffer.from(raw.buffer));
    const rf = await openRowReader(fv);
    try {
      expect(() => rf.gather([3])).toThrow(/hdr\.fvecs: row 3 declares dimension 7, row 0 declared 3/);
      expect(rf.gather([0, 2]).rows).toBe(2);
    } finally {
      rf.close();
    }

    const tn = join(dir, 'trunc.npy');
    await writeNpy(tn, x);
    truncateSync(tn, 200 + 4 * DIM * 100);
    await expect(openRowReader(tn)).rejects.toThrow(/trunc\.npy: truncated/);
    const tf = join(dir, 'trunc.fvecs');
    await writeFvecs(tf, x);
    truncateSync(tf, 4 * (DIM + 1) * 10 + 6);
    await expect(openRowReader(tf)).rejects.toThrow(/trunc\.fvecs/);
    const tm = join(dir, 'trunc.memmap');
    await writeMemmap(tm, x);
    truncateSync(tm, 4 * DIM * 10 + 2);
    await expect(openRowReader(tm, { dim: DIM })).rejects.toThrow(/trunc\.memmap/);

    // Truncated after opening: the read that runs past the end names the file and the row.
    const late = join(dir, 'late.npy');
    await writeNpy(late, x);
    const rl = await openRowReader(late);
    try {
      truncateSync(late, 128 + 4 * DIM * 100);
      expect(rl.gather([5]).rows).toBe(1);
      expect(() => rl.gather([3, 900])).toThrow(/late\.npy: truncated: row 900/);
      expect(() => rl.block(50, 200)).toThrow(/late\.npy: truncated: row 100/);
    } finally {
      rl.close();
    }
  });

  it('needs dim for .memmap, checks a given dim, and refuses Arrow files with how to convert them', async () => {
    const p = join(dir, 'dim.memmap');
    await writeMemmap(p, x);
    await expect(openRowReader(p)).rejects.toThrow(/dim\.memmap.*pass the vector dimension/);
    const n = join(dir, 'dim.npy');
    await writeNpy(n, x);
    await expect(openRowReader(n, { dim: 5 })).rejects.toThrow(/dim\.npy: vectors have dimension 12, expected 5/);
    const err = await openRowReader(join(dir, 'v.arrow')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvqError);
    expect((err as LibvqError).code).toBe('UNSUPPORTED');
    expect((err as Error).message).toMatch(/v\.arrow.*\.npy/);
    await expect(openRowReader(join(dir, 'missing.npy'))).rejects.toThrow(/missing\.npy/);
  });
});
