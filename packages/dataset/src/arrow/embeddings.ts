import type { FixedSizeList, RecordBatch, Schema, Table } from 'apache-arrow';
import { LibvqError, type Matrix } from '@libvq/index-core';
import { checkMatrix, invalidArgument } from '@libvq/index-core/util';
import { recordBatch, schemaFor } from './batch.js';
import { type RowIds, fixedSizeListData, flatFixedSizeList, idsData, readIds } from './columns.js';
import { readArrowTable, writeArrowFile } from './ipc.js';
import { ID, fixedSizeListOf, metadataInt, optionalField, requireField } from './schema-check.js';

/**
 * The embeddings table (architecture.md): `id` (optional: Utf8/Int64/Int32) and
 * `embedding: FixedSizeList<Float32>[d]`, with schema metadata libvq.dim, libvq.encoder, libvq.pooling,
 * libvq.normalized. Row i is the vector of row offset i of the tokens/id map it was encoded from.
 */
export const EMBEDDING_COLUMN = 'embedding';
export const ID_COLUMN = 'id';

export interface EmbeddingsMetadata {
  /** Name of the encoder that produced the vectors. */
  encoder?: string;
  /** 'cls' | 'mean' | ... */
  pooling?: string;
  /** Whether rows are L2-normalised. */
  normalized?: boolean;
}

export interface WriteEmbeddingsOptions {
  ids?: RowIds;
  metadata?: EmbeddingsMetadata;
  /** Rows per record batch (default 65536). */
  batchRows?: number;
}

function metadataMap(dim: number, meta: EmbeddingsMetadata | undefined): Map<string, string> {
  const m = new Map<string, string>([['libvq.dim', String(dim)]]);
  if (meta?.encoder !== undefined) m.set('libvq.encoder', meta.encoder);
  if (meta?.pooling !== undefined) m.set('libvq.pooling', meta.pooling);
  if (meta?.normalized !== undefined) m.set('libvq.normalized', String(meta.normalized));
  return m;
}

/** Writes a matrix (and its ids) as an embeddings Arrow IPC file; the vector column shares the matrix's memory. */
export async function writeEmbeddings(path: string, m: Matrix, opts: WriteEmbeddingsOptions = {}): Promise<void> {
  checkMatrix(m, 'writeEmbeddings matrix');
  const { ids, metadata, batchRows = 65536 } = opts;
  if (ids !== undefined && ids.length !== m.rows) {
    throw new LibvqError('DIMENSION_MISMATCH', `writeEmbeddings: ${ids.length} ids for ${m.rows} vectors`);
  }
  if (!Number.isInteger(batchRows) || batchRows < 1) throw invalidArgument('batchRows', 'a positive integer', batchRows);
  const names = ids !== undefined ? [ID_COLUMN, EMBEDDING_COLUMN] : [EMBEDDING_COLUMN];
  const columnsFor = (start: number, end: number) => {
    const emb = fixedSizeListData(m.data.subarray(start * m.dim, end * m.dim), m.dim);
    if (ids === undefined) return [emb];
    const part = ids instanceof BigInt64Array || ids instanceof Int32Array ? ids.subarray(start, end) : ids.slice(start, end);
    return [idsData(part), emb];
  };
  const schema = schemaFor(names, columnsFor(0, 0), metadataMap(m.dim, metadata));
  function* batches() {
    for (let start = 0; start < m.rows; start += batchRows) {
      const end = Math.min(m.rows, start + batchRows);
      yield recordBatch(schema, columnsFor(start, end));
    }
  }
  await writeArrowFile(path, schema, batches());
}

function parseMetadata(schema: Schema, path: string): EmbeddingsMetadata {
  const out: EmbeddingsMetadata = {};
  const enc = schema.metadata.get('libvq.encoder');
  const pool = schema.metadata.get('libvq.pooling');
  const norm = schema.metadata.get('libvq.normalized');
  if (enc !== undefined) out.encoder = enc;
  if (pool !== undefined) out.pooling = pool;
  if (norm !== undefined) {
    if (norm !== 'true' && norm !== 'false') throw new LibvqError('BAD_FILE', `${path}: schema metadata "libvq.normalized" is ${JSON.stringify(norm)}, expected "true" or "false"`);
    out.normalized = norm === 'true';
  }
  return out;
}

/** Names tried, in order, when no column is given: libvq's own, then LanceDB's convention. */
const VECTOR_COLUMN_NAMES = [EMBEDDING_COLUMN, 'vector'];

/**
 * The vector column of a schema, checked to be FixedSizeList<Float32>[dim]: the one named, else "embedding",
 * else "vector" (LanceDB), else the only FixedSizeList<Float32> column. Errors list every column and its type.
 */
export function vectorColumnOf(schema: Schema, column: string | undefined, dim: number | undefined, path: string): string {
  const spec = fixedSizeListOf('Float32', dim);
  let name = column ?? VECTOR_COLUMN_NAMES.find((n) => schema.fields.some((f) => f.name === n));
  if (name === undefined) {
    const candidates = schema.fields.filter((f) => fixedSizeListOf('Float32').test(f.type));
    if (candidates.length !== 1) {
      const all = schema.fields.map((f) => `"${f.name}": ${String(f.type)}`).join(', ') || '(none)';
      throw new LibvqError(
        'BAD_FILE',
        `${path}: no "${EMBEDDING_COLUMN}" or "vector" column and ${candidates.length === 0 ? 'no' : `${candidates.length}`} FixedSizeList<Float32> columns; the columns are ${all}; name the vector column (--column)`,
      );
    }
    name = candidates[0].name;
  }
  const field = requireField(schema, name, spec, path);
  const size = (field.type as FixedSizeList).listSize;
  if (size <= 0) throw new LibvqError('BAD_FILE', `${path}: column "${name}" has list size ${size}`);
  const metaDim = metadataInt(schema, 'libvq.dim', path, false);
  if (metaDim !== undefined && metaDim !== size) {
    throw new LibvqError('BAD_FILE', `${path}: schema metadata libvq.dim = ${metaDim} but column "${name}" holds vectors of ${size}`);
  }
  return name;
}

/**
 * An Arrow Table or RecordBatch as a Matrix, for index-core (which takes plain typed arrays, so the index-only
 * package needs no Arrow): the vector column (named, else "embedding", else "vector", else the only
 * FixedSizeList<Float32> column), checked finite. One copy into a contiguous Float32Array.
 */
export function matrixFromArrow(table: Table | RecordBatch, column?: string): Matrix {
  const name = vectorColumnOf(table.schema, column, undefined, 'Arrow table');
  const dim = (table.schema.fields.find((f) => f.name === name)!.type as FixedSizeList).listSize;
  const data = flatFixedSizeList(table.getChild(name)!, Float32Array, 'Arrow table', name);
  const m = { rows: table.numRows, dim, data };
  checkMatrix(m, `Arrow table column "${name}"`);
  return m;
}

/** The vector column of one record batch as flat float32 values (rows × dim). */
export function vectorColumnData(batch: RecordBatch, column: string, path: string): Float32Array {
  return flatFixedSizeList(batch.getChild(column)!, Float32Array, path, column);
}

export interface EmbeddingsFile {
  matrix: Matrix;
  ids?: RowIds;
  metadata: EmbeddingsMetadata;
}

/** Reads an embeddings (or any FixedSizeList<Float32>) Arrow IPC file, checking its schema and values. */
export async function readEmbeddings(path: string, opts: { column?: string; dim?: number } = {}): Promise<EmbeddingsFile> {
  const table = await readArrowTable(path);
  const column = vectorColumnOf(table.schema, opts.column, opts.dim, path);
  const dim = (table.schema.fields.find((f) => f.name === column)!.type as FixedSizeList).listSize;
  const data = flatFixedSizeList(table.getChild(column)!, Float32Array, path, column);
  const matrix = { rows: table.numRows, dim, data };
  checkMatrix(matrix, path);
  const out: EmbeddingsFile = { matrix, metadata: parseMetadata(table.schema, path) };
  if (optionalField(table.schema, ID_COLUMN, ID, path)) out.ids = readIds(table.getChild(ID_COLUMN)!, path, ID_COLUMN);
  return out;
}
