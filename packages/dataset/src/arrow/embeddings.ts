import type { FixedSizeList, RecordBatch, Schema, Table } from 'apache-arrow';
import { LibvqError, type Matrix, toMatrix } from '@libvq/index-core';
import { checkMatrix, fixedSizeListMatrix, invalidArgument, vectorField } from '@libvq/index-core/util';
import { recordBatch, schemaFor } from './batch.js';
import { type RowIds, fixedSizeListData, idsData, readIds } from './columns.js';
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

/**
 * The vector column of a file's schema (index-core's one rule for every entry point: the column named, else
 * "embedding", else "vector" (LanceDB), else the only FixedSizeList<Float32> column), checked against `dim` and
 * the libvq.dim metadata. Errors list every column and its type.
 */
export function vectorColumnOf(schema: Schema, column: string | undefined, dim: number | undefined, path: string): string {
  const { name } = vectorField(schema.fields, column, path, 'BAD_FILE');
  const field = requireField(schema, name, fixedSizeListOf('Float32', dim), path);
  const size = (field.type as FixedSizeList).listSize;
  const metaDim = metadataInt(schema, 'libvq.dim', path, false);
  if (metaDim !== undefined && metaDim !== size) {
    throw new LibvqError('BAD_FILE', `${path}: schema metadata libvq.dim = ${metaDim} but column "${name}" holds vectors of ${size}`);
  }
  return name;
}

/**
 * An Arrow Table or RecordBatch as a Matrix, checked finite: index-core's toMatrix (the table's vector column,
 * chosen as vectorColumnOf does; a view of its values when it is one record batch, one copy otherwise) followed
 * by the value check. Tables from any copy of apache-arrow are read (by shape, not by class).
 */
export function matrixFromArrow(table: Table | RecordBatch, column?: string): Matrix {
  const m = toMatrix(table, { name: 'Arrow table', column });
  checkMatrix(m, 'Arrow table');
  return m;
}

/**
 * The vector column of one record batch as flat float32 values (rows × dim; a view of the batch's values).
 * `firstRow` (the rows of the batches before it) makes an error name the row in the file.
 */
export function vectorColumnData(batch: RecordBatch, column: string, path: string, firstRow: number): Float32Array {
  return fixedSizeListMatrix(batch.getChild(column)!, `${path} column "${column}"`, { code: 'BAD_FILE', firstRow }).data;
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
  const matrix = fixedSizeListMatrix(table.getChild(column)!, `${path} column "${column}"`, { code: 'BAD_FILE' });
  checkMatrix(matrix, path);
  const out: EmbeddingsFile = { matrix, metadata: parseMetadata(table.schema, path) };
  if (optionalField(table.schema, ID_COLUMN, ID, path)) out.ids = readIds(table.getChild(ID_COLUMN)!, path, ID_COLUMN);
  return out;
}
