import { stat } from 'node:fs/promises';
import { LibvqError } from '@libvq/index-core';
import { readLineBatches } from '../io/lines.js';
import { BadRows, type RawReadOptions, type SkipReport, columnsMessage } from './bad-rows.js';
import { quoted } from './quoted.js';
import { IdMap } from './id-map.js';

/** One row of collection.tsv or {mode}-queries.tsv: `id \t field1 \t field2 ...`. */
export interface TextRecord {
  id: string;
  fields: string[];
  /** 1-based line in the file. */
  line: number;
  /** Row offset (0-based, counting only the rows kept). */
  offset: number;
}

export interface TextRecordOptions extends RawReadOptions {
  /** Text fields per row. Default: as many as the first well-formed row has (at least 1). */
  fields?: number;
}

/**
 * Streams a `id \t field...` file as batches of records, checking every row: the column count must
 * match (opts.fields, or the first row's), ids must be non-empty and unique. Iterate it once; afterwards
 * `ids` maps each kept id to its row offset and `report` says what was skipped.
 */
export class TextRecordStream implements AsyncIterable<TextRecord[]> {
  readonly ids = new IdMap();
  private readonly bad: BadRows;
  private fields: number | undefined;
  private used = false;

  constructor(
    readonly path: string,
    private readonly opts: TextRecordOptions = {},
  ) {
    this.bad = new BadRows(path, opts.skipBadRows === true);
    if (opts.fields !== undefined && (!Number.isInteger(opts.fields) || opts.fields < 1)) {
      throw new LibvqError('INVALID_ARGUMENT', `fields: expected a positive integer, got ${opts.fields}`);
    }
    this.fields = opts.fields;
  }

  get report(): SkipReport {
    return this.bad.summary();
  }

  /** Text fields per row (known once a good row was read). */
  get fieldCount(): number | undefined {
    return this.fields;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TextRecord[]> {
    if (this.used) throw new LibvqError('INVALID_ARGUMENT', `${this.path}: a TextRecordStream can be iterated only once`);
    this.used = true;
    const { signal, onProgress } = this.opts;
    const total = onProgress ? (await stat(this.path).catch(() => ({ size: 0 }))).size : 0;
    for await (const batch of readLineBatches(this.path, { signal })) {
      const out: TextRecord[] = [];
      for (let i = 0; i < batch.lines.length; i++) {
        const rec = this.parse(batch.lines[i], batch.firstLine + i);
        if (rec) out.push(rec);
      }
      if (out.length > 0) yield out;
      onProgress?.(batch.bytesRead, total);
    }
  }

  private parse(text: string, line: number): TextRecord | undefined {
    // A blank line holds no record (editors leave them at the end of files); it is not a malformed row.
    if (text.length === 0) return undefined;
    const cols = text.split('\t');
    const expected = this.fields === undefined ? 'id \\t text (at least 2 columns)' : `${this.fields + 1} columns (id + ${this.fields} text field${this.fields === 1 ? '' : 's'}${this.opts.fields === undefined ? ', as on the first row' : ''})`;
    if (cols.length < 2 || (this.fields !== undefined && cols.length !== this.fields + 1)) {
      this.bad.report(line, columnsMessage(cols.length, expected));
      return undefined;
    }
    const id = cols[0];
    if (id.trim().length === 0) {
      this.bad.report(line, 'empty id');
      return undefined;
    }
    const prev = this.ids.offset(id);
    if (prev !== undefined) {
      this.bad.report(line, `duplicate id ${quoted(id)} (first seen at row offset ${prev})`);
      return undefined;
    }
    if (this.fields === undefined) this.fields = cols.length - 1;
    const offset = this.ids.add(id);
    return { id, fields: cols.slice(1), line, offset };
  }
}

/** A whole text file in memory (queries; small collections): ids, fields per row, and what was skipped. */
export interface TextFile extends SkipReport {
  ids: IdMap;
  fields: string[][];
}

export async function loadTextFile(path: string, opts: TextRecordOptions = {}): Promise<TextFile> {
  const stream = new TextRecordStream(path, opts);
  const fields: string[][] = [];
  for await (const batch of stream) for (const r of batch) fields.push(r.fields);
  return { ids: stream.ids, fields, ...stream.report };
}
