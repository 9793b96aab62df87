import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ours from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { LibvqError, toMatrix, type Matrix } from '@libvq/index-core';
import { createRng } from '@libvq/index-core/util';
import { matrixFromArrow, openVectors, readVectors } from '../src/index.js';
import { otherArrowCopy, ourArrowVersion } from './helpers/other-arrow.js';
import { tempDir } from './helpers/tmp.js';

/*
 * Real apache-arrow tables into index-core's toMatrix, dataset's matrixFromArrow and readVectors / openVectors:
 * LanceDB's shape (id: Int64, text: Utf8, vector: FixedSizeList<Float32>[d]), several record batches, slices
 * (offset > 0), nulls, wrong types, ambiguous columns; Arrow IPC files and streams. Every case runs on tables
 * built by @libvq/dataset's own apache-arrow and again by the workspace's other copy (18.1.0, LanceDB's pin),
 * which shares no class with ours: only reading by shape can pass. The oracle is the rows the tables were built
 * from, compared component by component.
 */
type Arrow = typeof ours;
const dir = tempDir();
const other = otherArrowCopy();
const copies: [string, Arrow][] = [[`apache-arrow ${ourArrowVersion()} (ours)`, ours]];
if (other) copies.push([`apache-arrow ${other.version} (another copy)`, (await import(other.url)) as Arrow]);
else console.warn('vectors-input-arrow: no second apache-arrow copy in the workspace (benchmarks not installed?); only ours is tested');

const DIM = 6;

function randomRows(n: number, seed: number): Float32Array[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: DIM }, () => rng.next() * 2 - 1));
}

function expectRows(m: Matrix, rows: readonly Float32Array[]): void {
  expect(m.rows).toBe(rows.length);
  expect(m.dim).toBe(DIM);
  expect(m.data.length).toBe(rows.length * DIM);
  for (let i = 0; i < rows.length; i++) for (let j = 0; j < DIM; j++) expect(m.data[i * DIM + j]).toBe(rows[i][j]);
}

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LibvqError);
    return (e as Error).message;
  }
  throw new Error('expected a LibvqError');
}

for (const [label, A] of copies) {
  const f32List = (d = DIM) => new A.FixedSizeList(d, new A.Field('item', new A.Float32(), true));
  const vectorOf = (rows: readonly (Float32Array | null)[]) => A.vectorFromArray(rows.map((r) => (r ? Array.from(r) : null)), f32List());
  /** A table of these columns (tableFromArrays's column typing does not survive a generic Arrow module). */
  const tableOf = (columns: Record<string, unknown>) => A.tableFromArrays(columns as never) as unknown as ours.Table;
  /** A LanceDB-shaped table: id Int64, text Utf8, `name` FixedSizeList<Float32>[DIM]. */
  const lanceTable = (rows: readonly Float32Array[], firstId = 0, name = 'vector') =>
    tableOf({
      id: BigInt64Array.from(rows, (_, i) => BigInt(firstId + i)),
      text: A.vectorFromArray(rows.map((_, i) => `document ${firstId + i}`), new A.Utf8()), // Utf8, as LanceDB has it (tableFromArrays would dictionary-encode)
      [name]: vectorOf(rows),
    });

  describe(`tables built with ${label}`, () => {
    const rows = randomRows(11, 1);

    it('a LanceDB-shaped table: the "vector" column by name, a one-batch column without a copy', () => {
      const t = lanceTable(rows);
      expect(t.schema.fields.map((f) => f.name)).toEqual(['id', 'text', 'vector']);
      const m = toMatrix(t, { name: 'docs', dim: DIM });
      expectRows(m, rows);
      expect(m.data.buffer).toBe(t.getChild('vector')!.data[0].children[0].values.buffer);
      expectRows(matrixFromArrow(t), rows);
      expectRows(toMatrix(t.batches[0], { name: 'docs' }), rows);
      expectRows(toMatrix(t.getChild('vector')!, { name: 'docs' }), rows);
      expect(message(() => toMatrix(t, { name: 'docs', dim: DIM + 1 }))).toBe(`docs: vectors have dimension ${DIM}, the index expects ${DIM + 1}`);
    });

    it('another name: found by type, or named with column', () => {
      const t = lanceTable(rows, 0, 'emb');
      expectRows(toMatrix(t, { name: 'docs' }), rows);
      expectRows(toMatrix(t, { name: 'docs', column: 'emb' }), rows);
      expectRows(matrixFromArrow(t, 'emb'), rows);
    });

    it('several record batches are copied once, in order; slices (offset > 0) read their own rows', () => {
      const t = lanceTable(rows.slice(0, 4)).concat(lanceTable(rows.slice(4, 9), 4), lanceTable(rows.slice(9), 9));
      expect(t.batches.length).toBe(3);
      expectRows(toMatrix(t, { name: 'docs' }), rows);
      expectRows(matrixFromArrow(t), rows);
      expectRows(toMatrix(t.slice(2, 7), { name: 'docs' }), rows.slice(2, 7)); // across batches, offsets in two of them
      expectRows(toMatrix(t.getChild('vector')!.slice(5, 6), { name: 'q' }), rows.slice(5, 6));
      const one = vectorOf(rows).slice(3, 10);
      expect(one.data[0].offset).toBe(3);
      expectRows(toMatrix(one, { name: 'q' }), rows.slice(3, 10));
    });

    it('a null row is refused by its row number, in a later batch and in a slice', () => {
      const withNull = tableOf({ vector: vectorOf([rows[0], rows[1], null, rows[3]]) });
      const t = lanceTable(rows.slice(0, 3), 0, 'vector').select(['vector']).concat(withNull);
      expect(message(() => toMatrix(t, { name: 'docs' }))).toBe('docs column "vector": row 5 is null (vectors cannot be null)');
      expect(message(() => toMatrix(withNull.slice(1), { name: 'docs' }))).toBe('docs column "vector": row 1 is null (vectors cannot be null)');
      expectRows(toMatrix(withNull.slice(3), { name: 'docs' }), [rows[3]]);
      // A trailing null: apache-arrow 18.1 builds its child short (6 items for 2 rows); the null is what is reported.
      expect(message(() => toMatrix(vectorOf([rows[0], null]), { name: 'q' }))).toBe('q: row 1 is null (vectors cannot be null)');
      expect(message(() => matrixFromArrow(t))).toMatch(/row 5 is null/);
    });

    it('wrong types, ambiguous and absent columns are refused, listing the columns', () => {
      const f64 = A.vectorFromArray([[1, 2]], new A.FixedSizeList(2, new A.Field('item', new A.Float64(), true)));
      expect(message(() => toMatrix(tableOf({ vector: f64 }), { name: 'docs' }))).toBe(
        'docs: column "vector" has type FixedSizeList[2]<Float64>, expected FixedSizeList<Float32>',
      );
      expect(message(() => toMatrix(f64, { name: 'q' }))).toBe('q: expected a FixedSizeList<Float32> column, got FixedSizeList[2]<Float64>');
      const two = tableOf({ a: vectorOf(rows), b: vectorOf(rows), n: Int32Array.from(rows, (_, i) => i) });
      expect(message(() => toMatrix(two, { name: 'docs' }))).toBe(
        `docs: no "embedding" or "vector" column and 2 FixedSizeList<Float32> columns ("a", "b"); the columns are "a": FixedSizeList[${DIM}]<Float32>, "b": FixedSizeList[${DIM}]<Float32>, "n": Int32; name the vector column (the column option, --column in the CLI)`,
      );
      expectRows(toMatrix(two, { name: 'docs', column: 'b' }), rows);
      expect(message(() => toMatrix(two, { name: 'docs', column: 'n' }))).toBe('docs: column "n" has type Int32, expected FixedSizeList<Float32>');
      expect(message(() => toMatrix(lanceTable(rows), { name: 'docs', column: 'embedding' }))).toMatch(/^docs: column "embedding" \(FixedSizeList<Float32>\) is missing; the columns are "id": Int64, "text": Utf8, "vector"/);
      expect(message(() => matrixFromArrow(lanceTable(rows).select(['id', 'text'])))).toMatch(/no "embedding" or "vector" column and no FixedSizeList<Float32> columns; the columns are "id": Int64, "text": Utf8/);
    });

    it('written with tableToIPC as a stream and as a file: read whole and in batches, by name and by type', async () => {
      const t = lanceTable(rows.slice(0, 5)).concat(lanceTable(rows.slice(5), 5));
      const tag = label.split(' ')[1];
      const cases: [string, Uint8Array][] = [
        [`lance-${tag}.arrows`, A.tableToIPC(t, 'stream')],
        [`lance-stream-${tag}.arrow`, A.tableToIPC(t, 'stream')],
        [`lance-${tag}.arrow`, A.tableToIPC(t, 'file')],
      ];
      for (const [name, bytes] of cases) {
        const p = join(dir, name);
        writeFileSync(p, bytes);
        const r = await readVectors(p);
        expectRows(r.matrix, rows);
        expect(r.ids).toEqual(BigInt64Array.from(rows, (_, i) => BigInt(i)));
        expectRows((await readVectors(p, { column: 'vector', dim: DIM })).matrix, rows);
        const src = await openVectors(p);
        const got: Float32Array[] = [];
        for await (const b of src.batches(3)) for (let i = 0; i < b.matrix.rows; i++) got.push(b.matrix.data.slice(i * DIM, (i + 1) * DIM));
        await src.close();
        expect(got.length).toBe(rows.length);
        got.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(rows[i])));
      }
      const byType = join(dir, `by-type-${tag}.arrows`);
      writeFileSync(byType, A.tableToIPC(lanceTable(rows, 0, 'emb'), 'stream'));
      expectRows((await readVectors(byType)).matrix, rows);
      await expect(readVectors(byType, { column: 'text' })).rejects.toThrow(new RegExp(`${byType}: column "text" has type Utf8, expected FixedSizeList<Float32>`));
    });

    it('a null vector in a file is refused with its row in the file (whole and batch by batch)', async () => {
      // Not a trailing null: apache-arrow 18.1's builder leaves a trailing null row's items out of the child (21
      // does not), and the file it writes is refused as corrupt (a short item column) before any null is seen.
      const withNull = tableOf({ vector: vectorOf([rows[0], null, rows[2]]) });
      const p = join(dir, `null-${label.split(' ')[1]}.arrows`);
      writeFileSync(p, A.tableToIPC(lanceTable(rows.slice(0, 3)).select(['vector']).concat(withNull), 'stream'));
      await expect(readVectors(p)).rejects.toThrow(`${p} column "vector": row 4 is null (vectors cannot be null)`);
      const src = await openVectors(p);
      await expect((async () => { for await (const _ of src.batches(2)) void _; })()).rejects.toThrow(`${p} column "vector": row 4 is null`);
      await src.close();
    });
  });
}
