import { describe, expect, it } from 'vitest';
import { LibvqError, toMatrix, type Matrix, type VectorsInput } from '../src/index.js';
import { createRng } from '../src/util.js';

/*
 * toMatrix on every in-memory form, against an oracle that reads each component by its (row, component) index.
 * Arrow's classes are not reachable from index-core (it has no Arrow dependency, by design), so the Arrow cases
 * here are plain objects with apache-arrow's layout (values sliced to the chunk, offset indexing the validity
 * bitmap): that toMatrix needs nothing more is the point. Real apache-arrow tables, from two apache-arrow
 * versions, are in packages/dataset/test/vectors-input-arrow.test.ts.
 */

function randomRows(n: number, d: number, seed: number): Float32Array[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: d }, () => rng.next() * 2 - 1));
}

/** The oracle: component j of row i must be rows[i][j]. */
function expectRows(m: Matrix, rows: readonly ArrayLike<number>[]): void {
  expect(m.rows).toBe(rows.length);
  for (let i = 0; i < rows.length; i++) {
    expect(m.dim).toBe(rows[i].length);
    for (let j = 0; j < m.dim; j++) expect(m.data[i * m.dim + j]).toBe(rows[i][j]);
  }
  expect(m.data.length).toBe(m.rows * m.dim);
}

function error(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LibvqError);
    return `${(e as LibvqError).code}: ${(e as Error).message}`;
  }
  throw new Error('expected a LibvqError');
}

const float32 = { typeId: 3, precision: 1, toString: () => 'Float32' };
const float64 = { typeId: 3, precision: 2, toString: () => 'Float64' };
const fsl = (size: number, item = float32) => ({
  typeId: 16, listSize: size, children: [{ name: 'item', type: item }], toString: () => `FixedSizeList[${size}]<${item}>`,
});
const utf8 = { typeId: 5, toString: () => 'Utf8' };

/** A validity bitmap with `offset` leading valid bits, then one bit per row (null rows 0). */
function bitmap(valid: boolean[], offset: number): Uint8Array {
  const bits = new Uint8Array(Math.ceil((offset + valid.length) / 8) + 1);
  for (let k = 0; k < offset + valid.length; k++) if (k < offset || valid[k - offset]) bits[k >> 3] |= 1 << (k & 7);
  return bits;
}

/** One chunk as apache-arrow lays it out after `slice(offset)`: values start at the chunk's first row. */
function chunk(rows: (Float32Array | null)[], dim: number, offset = 0) {
  const values = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => r && values.set(r, i * dim));
  const nulls = rows.filter((r) => r === null).length;
  return {
    length: rows.length,
    offset,
    nullCount: nulls,
    nullBitmap: nulls > 0 ? bitmap(rows.map((r) => r !== null), offset) : null,
    children: [{ length: values.length, offset: offset * dim, nullCount: 0, nullBitmap: null as Uint8Array | null, values, children: [] }],
  };
}

function vector(chunks: ReturnType<typeof chunk>[], dim: number) {
  return { type: fsl(dim), data: chunks, length: chunks.reduce((s, c) => s + c.length, 0) };
}

function table(columns: Record<string, { type: object; data: unknown[] }>) {
  return {
    schema: { fields: Object.entries(columns).map(([name, c]) => ({ name, type: c.type })) },
    numRows: 0,
    getChild: (name: string) => (columns[name] as never) ?? null,
  } as unknown as VectorsInput;
}

describe('toMatrix: plain arrays', () => {
  const rows = randomRows(7, 5, 1);

  it('a Matrix is returned as it is (no copy), its shape checked', () => {
    const data = new Float32Array(35);
    rows.forEach((r, i) => r.forEach((v, j) => (data[i * 5 + j] = v)));
    const m = toMatrix({ rows: 7, dim: 5, data }, { name: 'x', dim: 5 });
    expect(m.data).toBe(data);
    expectRows(m, rows);
    expect(error(() => toMatrix({ rows: 7, dim: 4, data }, { name: 'x' }))).toBe('DIMENSION_MISMATCH: x: data has 35 floats, expected rows × dim = 7 × 4 = 28');
    expect(error(() => toMatrix({ rows: 7, dim: 5, data: Array.from(data) } as never, { name: 'x' }))).toMatch(/^INVALID_ARGUMENT: x\.data: expected a Float32Array/);
    expect(error(() => toMatrix({ rows: 5, dim: 7, data }, { name: 'queries', dim: 5 }))).toBe('DIMENSION_MISMATCH: queries: vectors have dimension 7, the index expects 5');
  });

  it('Float32Array[] rows are copied into one matrix; a row of another length is refused by its index', () => {
    const m = toMatrix(rows, { name: 'x', dim: 5 });
    expectRows(m, rows);
    rows[0][0] = 42; // a copy: the rows stay the caller's
    expect(m.data[0]).not.toBe(42);
    const bad = [...rows.slice(0, 3), new Float32Array(4), ...rows.slice(3)];
    expect(error(() => toMatrix(bad, { name: 'docs' }))).toBe('DIMENSION_MISMATCH: docs[3]: row 3 has 4 components, row 0 has 5');
    expect(error(() => toMatrix([rows[0], [1, 2, 3, 4, 5]] as never, { name: 'docs' }))).toMatch(/^INVALID_ARGUMENT: docs\[1\]: expected a Float32Array/);
    expect(error(() => toMatrix(rows, { name: 'docs', dim: 6 }))).toBe('DIMENSION_MISMATCH: docs: vectors have dimension 5, the index expects 6');
    expect(toMatrix([], { name: 'x', dim: 3 })).toEqual({ rows: 0, dim: 3, data: new Float32Array(0) });
    expect(error(() => toMatrix([], { name: 'x' }))).toMatch(/^INVALID_ARGUMENT: x: expected at least one row, or the dimension/);
    expect(error(() => toMatrix([new Float32Array(0)], { name: 'x' }))).toMatch(/^INVALID_ARGUMENT: x\[0\]: expected a vector of at least one component/);
  });

  it('one Float32Array is one row (a view)', () => {
    const m = toMatrix(rows[2], { name: 'query', dim: 5 });
    expect(m.data).toBe(rows[2]);
    expectRows(m, [rows[2]]);
    expect(error(() => toMatrix(new Float32Array(10), { name: 'query', dim: 5 }))).toMatch(
      /^DIMENSION_MISMATCH: query: one Float32Array is one vector; it has 10 components, the index expects 5 \(pass several vectors as a Matrix/,
    );
  });

  it('anything else is refused with the forms accepted', () => {
    for (const bad of [null, 'docs.npy', new Float64Array(4), 7, { rows: 1 }]) {
      expect(error(() => toMatrix(bad as never, { name: 'x' }))).toMatch(/^INVALID_ARGUMENT: x: expected a Matrix \{rows, dim, data: Float32Array\}, Float32Array\[\] rows, one Float32Array, or an Arrow Table/);
    }
  });
});

describe('toMatrix: Arrow-shaped tables and vectors (by shape, not by class)', () => {
  const rows = randomRows(9, 4, 2);

  it('one chunk is a view; several chunks and a sliced chunk (offset > 0) are read from their own windows', () => {
    const one = vector([chunk(rows, 4)], 4);
    const m = toMatrix(one as never, { name: 'x', dim: 4 });
    expect(m.data.buffer).toBe(one.data[0].children[0].values.buffer);
    expectRows(m, rows);
    const three = vector([chunk(rows.slice(0, 2), 4), chunk(rows.slice(2, 7), 4, 3), chunk(rows.slice(7), 4, 1)], 4);
    expectRows(toMatrix(three as never, { name: 'x' }), rows);
    expectRows(toMatrix(vector([], 4) as never, { name: 'x' }), []);
  });

  it('a table: the named column, else "embedding", else "vector", else the only FixedSizeList<Float32>', () => {
    const vec = vector([chunk(rows, 4)], 4);
    const other = vector([chunk(randomRows(9, 4, 3), 4)], 4);
    const id = { type: { typeId: 2, toString: () => 'Int64' }, data: [] };
    expectRows(toMatrix(table({ id, emb: vec }), { name: 'x' }), rows);
    expectRows(toMatrix(table({ id, vector: vec, other }), { name: 'x' }), rows);
    expectRows(toMatrix(table({ other, embedding: vec, vector: other }), { name: 'x' }), rows);
    expectRows(toMatrix(table({ vector: other, mine: vec }), { name: 'x', column: 'mine' }), rows);
  });

  it('ambiguous, absent or mistyped columns are refused, listing the columns', () => {
    const vec = vector([chunk(rows, 4)], 4);
    const text = { type: utf8, data: [] };
    expect(error(() => toMatrix(table({ a: vec, b: vec, text }), { name: 'docs' }))).toBe(
      'INVALID_ARGUMENT: docs: no "embedding" or "vector" column and 2 FixedSizeList<Float32> columns ("a", "b"); the columns are "a": FixedSizeList[4]<Float32>, "b": FixedSizeList[4]<Float32>, "text": Utf8; name the vector column (the column option, --column in the CLI)',
    );
    expect(error(() => toMatrix(table({ text }), { name: 'docs' }))).toMatch(/^INVALID_ARGUMENT: docs: no "embedding" or "vector" column and no FixedSizeList<Float32> columns; the columns are "text": Utf8/);
    expect(error(() => toMatrix(table({ a: vec }), { name: 'docs', column: 'b' }))).toBe(
      'INVALID_ARGUMENT: docs: column "b" (FixedSizeList<Float32>) is missing; the columns are "a": FixedSizeList[4]<Float32>',
    );
    const f64 = { type: fsl(4, float64), data: [] };
    expect(error(() => toMatrix(table({ vector: f64 }), { name: 'docs' }))).toBe('INVALID_ARGUMENT: docs: column "vector" has type FixedSizeList[4]<Float64>, expected FixedSizeList<Float32>');
    expect(error(() => toMatrix(table({ text, v: vec }), { name: 'docs', column: 'text' }))).toBe('INVALID_ARGUMENT: docs: column "text" has type Utf8, expected FixedSizeList<Float32>');
    expect(error(() => toMatrix(f64 as never, { name: 'q' }))).toBe('INVALID_ARGUMENT: q: expected a FixedSizeList<Float32> column, got FixedSizeList[4]<Float64>');
    expect(error(() => toMatrix(table({ v: vec }), { name: 'docs', dim: 8 }))).toBe('DIMENSION_MISMATCH: docs: vectors have dimension 4, the index expects 8');
  });

  it('a null row is refused by its row in the column (chunks and offsets counted); a null component too', () => {
    const withNull = [rows[0], rows[1], null, rows[3]];
    const v = vector([chunk(rows.slice(4, 6), 4), chunk(withNull, 4, 5)], 4);
    expect(error(() => toMatrix(table({ vector: v }), { name: 'docs' }))).toBe('INVALID_ARGUMENT: docs column "vector": row 4 is null (vectors cannot be null)');
    const c = chunk(rows.slice(0, 3), 4);
    const child = { ...c.children[0], nullCount: 1, offset: 2, nullBitmap: bitmap(Array.from({ length: 12 }, (_, k) => k !== 6), 2) };
    expect(error(() => toMatrix(vector([{ ...c, children: [child] }], 4) as never, { name: 'q' }))).toBe('INVALID_ARGUMENT: q: row 1, component 2 is null (vectors cannot be null)');
  });

  it('a chunk with too few values is refused, not read past its end', () => {
    const c = chunk(rows.slice(0, 3), 4);
    const short = { ...c, children: [{ ...c.children[0], values: c.children[0].values.subarray(0, 11) }] };
    expect(error(() => toMatrix(vector([short], 4) as never, { name: 'q' }))).toBe('INVALID_ARGUMENT: q: a chunk of 3 rows of 4 has 11 values, 12 needed (a malformed Arrow column)');
  });
});
