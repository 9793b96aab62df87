import type { FixedSizeList } from 'apache-arrow';
import { LibvqError } from '@libvq/index-core';
import { invalidArgument } from '@libvq/index-core/util';
import { recordBatch, schemaFor } from './batch.js';
import { type RowIds, fixedSizeListData, flatFixedSizeList, idsData, readIds } from './columns.js';
import { readArrowTable, writeArrowFile } from './ipc.js';
import { ID, fixedSizeListOf, requireField } from './schema-check.js';

/**
 * Search results (architecture.md): `qid`, `doc_ids: FixedSizeList<Int64>[k]` (row offsets into the docs,
 * -1 where fewer than k exist), `scores: FixedSizeList<Float32>[k]` (faiss's distances: inner products for
 * ip, squared distances for l2), best first. Schema metadata: libvq.k and anything the writer adds.
 */
export interface SearchResults {
  qids: RowIds;
  k: number;
  /** nq x k row offsets, -1 padded. */
  labels: Float64Array | BigInt64Array | Int32Array;
  /** nq x k scores. */
  distances: Float32Array;
}

export async function writeResults(path: string, r: SearchResults, metadata: Record<string, string> = {}): Promise<void> {
  const nq = r.qids.length;
  if (!Number.isInteger(r.k) || r.k < 1) throw invalidArgument('k', 'a positive integer', r.k);
  if (r.labels.length !== nq * r.k || r.distances.length !== nq * r.k) {
    throw new LibvqError('DIMENSION_MISMATCH', `writeResults: ${nq} qids x k=${r.k} needs ${nq * r.k} labels and distances, got ${r.labels.length} and ${r.distances.length}`);
  }
  const labels = r.labels instanceof BigInt64Array ? r.labels : BigInt64Array.from(r.labels, (v) => BigInt(v));
  const cols = [idsData(r.qids), fixedSizeListData(labels, r.k), fixedSizeListData(r.distances, r.k)];
  const meta = new Map(Object.entries({ ...metadata, 'libvq.k': String(r.k) }));
  const schema = schemaFor(['qid', 'doc_ids', 'scores'], cols, meta);
  await writeArrowFile(path, schema, [recordBatch(schema, cols)]);
}

export async function readResults(path: string): Promise<SearchResults & { metadata: Map<string, string> }> {
  const table = await readArrowTable(path);
  requireField(table.schema, 'qid', ID, path);
  const labelsField = requireField(table.schema, 'doc_ids', fixedSizeListOf('Int64'), path);
  const k = (labelsField.type as FixedSizeList).listSize;
  requireField(table.schema, 'scores', fixedSizeListOf('Float32', k), path);
  return {
    qids: readIds(table.getChild('qid')!, path, 'qid'),
    k,
    labels: flatFixedSizeList(table.getChild('doc_ids')!, BigInt64Array, path, 'doc_ids'),
    distances: flatFixedSizeList(table.getChild('scores')!, Float32Array, path, 'scores'),
    metadata: table.schema.metadata,
  };
}
