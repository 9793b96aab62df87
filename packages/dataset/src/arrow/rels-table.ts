import { Int32, makeData } from 'apache-arrow';
import type { Rels } from '../raw/rels.js';
import { GRADE_MAX, GRADE_MIN, isGrade } from '../raw/grade.js';
import { quoted } from '../raw/quoted.js';
import { recordBatch, schemaFor } from './batch.js';
import { idsData, readIds } from './columns.js';
import { readArrowTable, writeArrowFile } from './ipc.js';
import { ID, INT32, requireField } from './schema-check.js';
import { LibvqError } from '@libvq/index-core';

/** The rels table (architecture.md): `qid`, `doc_id` (Utf8), `grade: Int32`, one row per judgment. */
export async function writeRelsTable(path: string, rels: Rels): Promise<void> {
  const qids: string[] = [];
  const docIds: string[] = [];
  const grades: number[] = [];
  for (const [q, docs] of rels) {
    for (const [d, g] of docs) {
      // Int32Array.from would wrap 2147483648 to -2147483648 and truncate 1.5 without a word.
      if (!isGrade(g)) {
        throw new LibvqError('INVALID_ARGUMENT', `${path}: the grade of qid ${quoted(q)}, doc_id ${quoted(d)} is ${g}: expected an integer from ${GRADE_MIN} to ${GRADE_MAX} (the grade column is Int32)`);
      }
      qids.push(q);
      docIds.push(d);
      grades.push(g);
    }
  }
  const cols = [idsData(qids), idsData(docIds), makeData({ type: new Int32(), length: grades.length, nullCount: 0, data: Int32Array.from(grades) })];
  const schema = schemaFor(['qid', 'doc_id', 'grade'], cols);
  await writeArrowFile(path, schema, [recordBatch(schema, cols)]);
}

/** Reads a rels table back into qid -> (doc_id -> grade); integer ids become their decimal strings. */
export async function readRelsTable(path: string): Promise<Rels> {
  const table = await readArrowTable(path);
  requireField(table.schema, 'qid', ID, path);
  requireField(table.schema, 'doc_id', ID, path);
  requireField(table.schema, 'grade', INT32, path);
  const q = readIds(table.getChild('qid')!, path, 'qid');
  const d = readIds(table.getChild('doc_id')!, path, 'doc_id');
  const g = table.getChild('grade')!;
  if (g.nullCount > 0) throw new LibvqError('BAD_FILE', `${path}: column "grade" has ${g.nullCount} nulls`);
  const rels: Rels = new Map();
  for (let i = 0; i < table.numRows; i++) {
    const qid = String(q[i]);
    const docId = String(d[i]);
    let docs = rels.get(qid);
    if (!docs) rels.set(qid, (docs = new Map()));
    if (docs.has(docId)) throw new LibvqError('BAD_FILE', `${path}: row ${i} repeats the judgment (qid ${qid}, doc_id ${docId})`);
    docs.set(docId, g.get(i) as number);
  }
  return rels;
}
