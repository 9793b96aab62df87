import { Int32, type RecordBatch, type Schema, makeData } from 'apache-arrow';
import { LibvqError } from '@libvq/index-core';
import { recordBatch, schemaFor } from './batch.js';
import { listInt32Data } from './columns.js';
import { openArrowBatches } from './ipc.js';
import { INT32, LIST_INT32, metadataInt, requireField } from './schema-check.js';

/**
 * The tokens table (architecture.md): `input_ids: List<Int32>` (special tokens included, truncated to
 * max_length) and `length: Int32`, row i = row offset i of the prefix's id map. Schema metadata:
 * libvq.tokenizer (name), libvq.max_length.
 */
export interface TokenRows {
  rows: number;
  /** rows+1 offsets into values: row i is values[offsets[i] .. offsets[i+1]). */
  offsets: Int32Array;
  values: Int32Array;
}

export interface TokensInfo {
  tokenizer: string;
  maxLength: number;
}

export function tokensSchema(info: TokensInfo): Schema {
  const empty = tokensColumns({ rows: 0, offsets: new Int32Array(1), values: new Int32Array(0) });
  return schemaFor(
    ['input_ids', 'length'],
    empty,
    new Map([
      ['libvq.tokenizer', info.tokenizer],
      ['libvq.max_length', String(info.maxLength)],
    ]),
  );
}

function tokensColumns(t: TokenRows) {
  const lengths = new Int32Array(t.rows);
  for (let i = 0; i < t.rows; i++) lengths[i] = t.offsets[i + 1] - t.offsets[i];
  return [listInt32Data(t.values, t.offsets), makeData({ type: new Int32(), length: t.rows, nullCount: 0, data: lengths })];
}

/** One record batch of token rows (the arrays are used without a copy). */
export function tokensBatch(schema: Schema, t: TokenRows): RecordBatch {
  return recordBatch(schema, tokensColumns(t));
}

/** Checks a tokens schema and returns its metadata. */
export function checkTokensSchema(schema: Schema, path: string): TokensInfo {
  requireField(schema, 'input_ids', LIST_INT32, path);
  requireField(schema, 'length', INT32, path);
  const tokenizer = schema.metadata.get('libvq.tokenizer');
  if (tokenizer === undefined) throw new LibvqError('BAD_FILE', `${path}: schema metadata "libvq.tokenizer" is missing`);
  const maxLength = metadataInt(schema, 'libvq.max_length', path, true)!;
  return { tokenizer, maxLength };
}

/** Token rows of one record batch, checked: no nulls, lengths agree with the lists and fit max_length. */
function batchRows(b: RecordBatch, info: TokensInfo, path: string, firstRow: number): TokenRows {
  const ids = b.getChild('input_ids')!;
  const len = b.getChild('length')!;
  if (ids.nullCount > 0 || len.nullCount > 0) throw new LibvqError('BAD_FILE', `${path}: null rows in batch starting at row ${firstRow}`);
  const rows = b.numRows;
  const offsets = new Int32Array(rows + 1);
  let total = 0;
  for (const d of ids.data) {
    const src = d.valueOffsets;
    const base = src[0];
    for (let i = 0; i < d.length; i++) offsets[total + i + 1] = offsets[total] + src[i + 1] - base;
    total += d.length;
  }
  const values = new Int32Array(offsets[rows]);
  let at = 0;
  for (const d of ids.data) {
    const child = d.children[0];
    const src = d.valueOffsets;
    const n = src[d.length] - src[0];
    values.set((child.values as Int32Array).subarray(src[0], src[0] + n), at);
    at += n;
  }
  for (let i = 0; i < rows; i++) {
    const n = offsets[i + 1] - offsets[i];
    if ((len.get(i) as number) !== n) {
      throw new LibvqError('BAD_FILE', `${path}: row ${firstRow + i} has length ${len.get(i) as number} but ${n} input_ids`);
    }
    if (n > info.maxLength) throw new LibvqError('BAD_FILE', `${path}: row ${firstRow + i} has ${n} tokens, more than libvq.max_length ${info.maxLength}`);
  }
  return { rows, offsets, values };
}

/** Streams a tokens file batch by batch (start = row offset of the batch's first row). */
export async function* streamTokenFile(path: string): AsyncGenerator<TokenRows & { start: number; info: TokensInfo }> {
  const file = await openArrowBatches(path);
  try {
    const info = checkTokensSchema(file.schema, path);
    let start = 0;
    for await (const b of file.batches) {
      if (b.numRows === 0) continue;
      const rows = batchRows(b, info, path, start);
      yield { ...rows, start, info };
      start += rows.rows;
    }
  } finally {
    await file.close();
  }
}

/** A whole tokens file in memory: concatenated rows plus its metadata. */
export async function readTokenFile(path: string): Promise<TokenRows & TokensInfo> {
  const file = await openArrowBatches(path);
  let info: TokensInfo;
  const parts: TokenRows[] = [];
  try {
    info = checkTokensSchema(file.schema, path);
    let start = 0;
    for await (const b of file.batches) {
      parts.push(batchRows(b, info, path, start));
      start += b.numRows;
    }
  } finally {
    await file.close();
  }
  return { ...concatTokenRows(parts), ...info };
}

export function concatTokenRows(parts: readonly TokenRows[]): TokenRows {
  let rows = 0;
  let total = 0;
  for (const p of parts) {
    rows += p.rows;
    total += p.values.length;
  }
  const offsets = new Int32Array(rows + 1);
  const values = new Int32Array(total);
  let r = 0;
  let v = 0;
  for (const p of parts) {
    for (let i = 1; i <= p.rows; i++) offsets[r + i] = v + p.offsets[i] - p.offsets[0];
    values.set(p.values.subarray(p.offsets[0], p.offsets[p.rows]), v);
    r += p.rows;
    v += p.offsets[p.rows] - p.offsets[0];
  }
  return { rows, offsets, values };
}

/** Row i of token rows as a view. */
export function tokenRow(t: TokenRows, i: number): Int32Array {
  return t.values.subarray(t.offsets[i], t.offsets[i + 1]);
}
