import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Table, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { LibvqError, type Matrix } from '@libvq/index-core';
import { createRng, gatherRows, sampleWithoutReplacement } from '@libvq/index-core/util';
import { fixedSizeListData } from '../src/arrow/columns.js';
import { recordBatch, schemaFor } from '../src/arrow/batch.js';
import { openVectors, readVectors, sampleVectors, writeVectors } from '../src/index.js';
import { python, tempDir } from './helpers/tmp.js';

/*
 * openVectors / sampleVectors against the whole-file reader as the oracle: every format, batch sizes that do and
 * do not divide the row count (and do not line up with Arrow record batches), and the seeded sample equal to the
 * in-memory sample of the same seed.
 */
const dir = tempDir();
const ROWS = 1037;
const DIM = 12;

function matrix(rows: number, dim: number, seed: number): Matrix {
  const rng = createRng(seed);
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < data.length; i++) data[i] = rng.next() * 2 - 1;
  return { rows, dim, data };
}

const x = matrix(ROWS, DIM, 5);

/** An Arrow IPC *stream* with the vectors in a "vector" column (LanceDB's convention), in record batches of 100. */
function writeLanceStyleStream(path: string, m: Matrix): void {
  const batches = [];
  let schema;
  for (let r = 0; r < m.rows; r += 100) {
    const cols = [fixedSizeListData(m.data.subarray(r * m.dim, Math.min(m.rows, r + 100) * m.dim), m.dim)];
    schema ??= schemaFor(['vector'], cols);
    batches.push(recordBatch(schema, cols));
  }
  writeFileSync(path, tableToIPC(new Table(batches), 'stream'));
}

async function collect(path: string, batchRows: number, dim?: number): Promise<Float32Array> {
  const src = await openVectors(path, { dim });
  try {
    expect(src.rows).toBe(ROWS);
    expect(src.dim).toBe(DIM);
    const out = new Float32Array(src.rows * src.dim);
    let next = 0;
    for await (const { start, matrix: m } of src.batches(batchRows)) {
      expect(start).toBe(next);
      expect(m.rows).toBe(Math.min(batchRows, ROWS - start));
      out.set(m.data, start * DIM);
      next += m.rows;
    }
    expect(next).toBe(ROWS);
    return out;
  } finally {
    await src.close();
  }
}

describe('openVectors: batch-by-batch reading', () => {
  const files: [string, number | undefined][] = [
    ['v.npy', undefined],
    ['v.memmap', DIM],
    ['v.fvecs', undefined],
    ['v.arrow', undefined],
  ];

  it.each(files)('%s in batches of 1, 64, 1000 and 5000 rows equals the whole-file read', async (name, dim) => {
    const path = join(dir, name);
    await writeVectors(path, x);
    for (const b of [1, 64, 1000, 5000]) expect(await collect(path, b, dim)).toEqual(x.data);
  });

  it('row ranges (shards) read exactly rows [start, end) of every format, batch starts numbered in the file', async () => {
    const lance = join(dir, 'lance-ranges.arrow');
    writeLanceStyleStream(lance, x); // record batches of 100 rows: ranges start and end inside them
    for (const [name, dim] of [...files, ['lance-ranges.arrow', undefined] as [string, undefined]]) {
      const path = join(dir, name);
      if (name !== 'lance-ranges.arrow') await writeVectors(path, x);
      const src = await openVectors(path, { dim });
      try {
        for (const [start, end, b] of [[0, ROWS, 64], [150, 151, 7], [99, 401, 64], [1000, ROWS, 5000], [300, 300, 8]]) {
          const got = new Float32Array((end - start) * DIM);
          let next = start;
          for await (const batch of src.batches(b, { start, end })) {
            expect(batch.start).toBe(next);
            got.set(batch.matrix.data, (batch.start - start) * DIM);
            next += batch.matrix.rows;
          }
          expect(next).toBe(end);
          expect(got).toEqual(x.data.subarray(start * DIM, end * DIM));
        }
        const bad = async (start: number, end: number) => { for await (const _ of src.batches(8, { start, end })) void _; };
        await expect(bad(5, 4)).rejects.toThrow(/row range of .*0 <= start <= end <= 1037.*\[5, 4\)/);
        await expect(bad(0, ROWS + 1)).rejects.toThrow(/\[0, 1038\)/);
      } finally {
        await src.close();
      }
    }
  });

  it('a float64 .npy is read in batches as float32', async () => {
    const p = join(dir, 'v64.npy');
    python(`
import numpy as np
np.save('${p}', np.fromfile('${join(dir, 'v.memmap')}', dtype='float32').reshape(${ROWS}, ${DIM}).astype(np.float64))
`);
    expect(await collect(p, 333)).toEqual(x.data);
  });

  it('an Arrow IPC stream with a "vector" column (LanceDB) is read in batches and whole', async () => {
    const p = join(dir, 'lance.arrow');
    writeLanceStyleStream(p, x);
    expect(await collect(p, 250)).toEqual(x.data);
    expect((await readVectors(p)).matrix.data).toEqual(x.data);
  });

  it('sampleVectors gives the same rows as the in-memory seeded sample, in one pass', async () => {
    const p = join(dir, 'v.npy');
    const src = await openVectors(p);
    for (const [n, seed] of [[100, 1], [1000, 7], [ROWS, 3], [5000, 3]]) {
      const got = await sampleVectors(src, n, seed, 128);
      const take = Math.min(n, ROWS);
      const want = take === ROWS ? x : gatherRows(x, sampleWithoutReplacement(ROWS, take, createRng(seed)).sort());
      expect(got.rows).toBe(take);
      expect(got.data).toEqual(want.data);
    }
    await src.close();
  });

  it('bad inputs are named: a NaN row, a wrong dim, a memmap without dim, batchRows 0', async () => {
    const bad = { rows: 3, dim: 2, data: new Float32Array([1, 2, 3, Number.NaN, 5, 6]) };
    const p = join(dir, 'nan.memmap');
    writeFileSync(p, new Uint8Array(bad.data.buffer));
    const src = await openVectors(p, { dim: 2 });
    await expect((async () => { for await (const _ of src.batches(2)) void _; })()).rejects.toThrow(/nan\.memmap.*row 1/);
    await expect((async () => { for await (const _ of src.batches(0)) void _; })()).rejects.toThrow(/batchRows/);
    await src.close();
    await expect(openVectors(join(dir, 'v.npy'), { dim: 5 })).rejects.toThrow(/dimension 12, expected 5/);
    await expect(openVectors(p)).rejects.toBeInstanceOf(LibvqError);
  });
});

describe('matrixFromArrow: Arrow tables into index-core', () => {
  it('a table with a "vector" column trains and fills an index; a Table passed straight to index-core gives the same index', async () => {
    const { IndexIVFFlat, serializeIndex } = await import('@libvq/index-core');
    const { matrixFromArrow } = await import('../src/index.js');
    const { readArrowTable } = await import('../src/formats.js');
    const p = join(dir, 'table.arrow');
    writeLanceStyleStream(p, x);
    const table = await readArrowTable(p);
    const m = matrixFromArrow(table);
    expect(m.rows).toBe(ROWS);
    expect(m.data).toEqual(x.data);
    const index = new IndexIVFFlat(DIM, 4, 'l2');
    index.trainSync(m, { seed: 1 });
    index.addSync(m);
    expect(index.ntotal).toBe(ROWS);
    // The table itself is an input of every index method (its vector column found by type): the same index.
    const direct = new IndexIVFFlat(DIM, 4, 'l2');
    await direct.train(table, { seed: 1 });
    await direct.add(table);
    expect(Buffer.from(serializeIndex(direct)).equals(Buffer.from(serializeIndex(index)))).toBe(true);
  });
});
