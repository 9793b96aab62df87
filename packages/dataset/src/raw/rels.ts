import { stat } from 'node:fs/promises';
import { LibvqError } from '@libvq/index-core';
import { readLineBatches } from '../io/lines.js';
import { BadRows, type RawReadOptions, type SkipReport, columnsMessage } from './bad-rows.js';
import { quoted } from './quoted.js';
import { parseGrade } from './grade.js';
import type { IdMap } from './id-map.js';

/** Relevance judgments by external id: qid -> (doc_id -> grade). Grade > 0 is relevant. */
export type Rels = Map<string, Map<string, number>>;
/** Relevance judgments by row offset: query offset -> (doc offset -> grade). */
export type OffsetRels = Map<number, Map<number, number>>;

/** Anything that can say whether an id exists (IdMap, Set). */
export interface IdSet {
  has(id: string): boolean;
}

export interface RelsOptions extends RawReadOptions {
  /** Known query ids: a judgment naming another qid is a bad row. */
  queryIds?: IdSet;
  /** Known doc ids: a judgment naming another doc id is a bad row. */
  docIds?: IdSet;
}

export interface RelsFile extends SkipReport {
  rels: Rels;
  /** Judgments kept. */
  count: number;
}

/**
 * Walks a two-id TSV file (`qid \t doc_id [\t grade]`, or TREC qrels `qid \t iter \t doc_id \t grade`),
 * checking every row, and hands each good row to `accept`.
 */
async function readPairs(
  path: string,
  opts: RelsOptions,
  what: string,
  allowGrade: boolean,
  accept: (qid: string, docId: string, grade: number, line: number, bad: BadRows) => void,
): Promise<BadRows> {
  const bad = new BadRows(path, opts.skipBadRows === true);
  const total = opts.onProgress ? (await stat(path).catch(() => ({ size: 0 }))).size : 0;
  const shape = allowGrade ? 'qid \\t doc_id [\\t grade] (2 or 3 columns, or 4 for TREC qrels)' : 'qid \\t doc_id (2 columns)';
  for await (const batch of readLineBatches(path, { signal: opts.signal })) {
    for (let i = 0; i < batch.lines.length; i++) {
      const line = batch.firstLine + i;
      const text = batch.lines[i];
      if (text.length === 0) continue;
      const cols = text.split('\t');
      const n = cols.length;
      if (n < 2 || n > (allowGrade ? 4 : 2)) {
        bad.report(line, columnsMessage(n, shape));
        continue;
      }
      const qid = cols[0];
      const docId = n === 4 ? cols[2] : cols[1];
      const gradeText = n === 3 ? cols[2] : n === 4 ? cols[3] : undefined;
      if (qid.trim() === '') {
        bad.report(line, 'empty qid');
        continue;
      }
      if (docId.trim() === '') {
        bad.report(line, 'empty doc_id');
        continue;
      }
      let grade = 1;
      if (gradeText !== undefined) {
        const parsed = parseGrade(gradeText, n);
        if ('problem' in parsed) {
          bad.report(line, parsed.problem);
          continue;
        }
        grade = parsed.grade;
      }
      if (opts.queryIds && !opts.queryIds.has(qid)) {
        bad.report(line, `${what} names qid ${quoted(qid)}, which is not in the queries file`);
        continue;
      }
      if (opts.docIds && !opts.docIds.has(docId)) {
        bad.report(line, `${what} names doc_id ${quoted(docId)}, which is not in the collection`);
        continue;
      }
      accept(qid, docId, grade, line, bad);
    }
    opts.onProgress?.(batch.bytesRead, total);
  }
  return bad;
}

/**
 * Loads `{mode}-rels.tsv`: `qid \t doc_id` with an optional integer `\t grade` (absent = 1; higher = more
 * relevant; an int32, the rels table's type), or TREC qrels `qid \t iter \t doc_id \t grade`. Malformed rows (a
 * grade that is not an int32 among them), unknown ids (when known id sets are given) and repeated (qid, doc_id)
 * pairs are errors naming file, line and field, or skipped and counted.
 */
export async function loadRels(path: string, opts: RelsOptions = {}): Promise<RelsFile> {
  const rels: Rels = new Map();
  let count = 0;
  const bad = await readPairs(path, opts, 'judgment', true, (qid, docId, grade, line, b) => {
    let docs = rels.get(qid);
    if (!docs) rels.set(qid, (docs = new Map()));
    if (docs.has(docId)) {
      b.report(line, `duplicate judgment for qid ${quoted(qid)}, doc_id ${quoted(docId)}`);
      return;
    }
    docs.set(docId, grade);
    count++;
  });
  return { rels, count, ...bad.summary() };
}

/** Hard negatives by external id: qid -> doc ids, in file order (best-ranked first). */
export type Negatives = Map<string, string[]>;

export interface NegativesFile extends SkipReport {
  negatives: Negatives;
  count: number;
}

/**
 * Loads hard negatives from `train-negs.tsv`: one `qid \t doc_id` pair per line (LibVQ keeps them in a
 * pickle {qid: [doc ids]}; this TSV is the same mapping in its raw layout). Order is kept; unknown ids and
 * repeated pairs are bad rows, as in loadRels.
 */
export async function loadNegatives(path: string, opts: RelsOptions = {}): Promise<NegativesFile> {
  const negatives: Negatives = new Map();
  const seen = new Set<string>();
  let count = 0;
  const bad = await readPairs(path, opts, 'negative', false, (qid, docId, _grade, line, b) => {
    const key = `${qid}\t${docId}`;
    if (seen.has(key)) {
      b.report(line, `duplicate negative for qid ${quoted(qid)}, doc_id ${quoted(docId)}`);
      return;
    }
    seen.add(key);
    let list = negatives.get(qid);
    if (!list) negatives.set(qid, (list = []));
    list.push(docId);
    count++;
  });
  return { negatives, count, ...bad.summary() };
}

function offsetOf(map: IdMap, id: string, kind: string, source: string): number {
  const off = map.offset(id);
  if (off === undefined) throw new LibvqError('INVALID_ARGUMENT', `${source}: ${kind} ${JSON.stringify(id)} is not in the ${kind === 'qid' ? 'query' : 'doc'} id map`);
  return off;
}

/** Rels by row offset (what metrics and sampling use); an id missing from a map is an error. */
export function relsToOffsets(rels: Rels, queryIds: IdMap, docIds: IdMap, source = 'rels'): OffsetRels {
  const out: OffsetRels = new Map();
  for (const [qid, docs] of rels) {
    const q = offsetOf(queryIds, qid, 'qid', source);
    const m = new Map<number, number>();
    for (const [d, g] of docs) m.set(offsetOf(docIds, d, 'doc_id', source), g);
    out.set(q, m);
  }
  return out;
}

/** Negatives by row offset. */
export function negativesToOffsets(negs: Negatives, queryIds: IdMap, docIds: IdMap, source = 'negatives'): Map<number, Int32Array> {
  const out = new Map<number, Int32Array>();
  for (const [qid, docs] of negs) {
    out.set(offsetOf(queryIds, qid, 'qid', source), Int32Array.from(docs, (d) => offsetOf(docIds, d, 'doc_id', source)));
  }
  return out;
}
