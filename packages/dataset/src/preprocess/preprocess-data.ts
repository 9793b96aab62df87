import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { LibvqError } from '@libvq/index-core';
import { invalidArgument, throwIfAborted, writeFileAtomic } from '@libvq/index-core/util';
import { writeIdMapFile } from '../arrow/ids-table.js';
import { writeArrowFile } from '../arrow/ipc.js';
import { writeRelsTable } from '../arrow/rels-table.js';
import { type TokenRows, tokensBatch, tokensSchema } from '../arrow/tokens-table.js';
import { countLines } from '../io/count-lines.js';
import type { IdMap } from '../raw/id-map.js';
import { loadRels } from '../raw/rels.js';
import { type TextRecord, TextRecordStream } from '../raw/text-records.js';
import { buildTokenizer, checkTextTokenizer } from '../tokenize/build-tokenizer.js';
import { type TextTokenizer, type TokenizerFactory, joinFields } from '../tokenize/text-tokenizer.js';
import { tokenizeTexts } from '../tokenize/tokenize-texts.js';
import { DOCS_PREFIX, MANIFEST_FILE, type RawSource, findRawSources, idsPath, relsPath, tokensPath } from './layout.js';
import { TokenizerPool } from './worker-pool.js';

export interface PreprocessOptions {
  /** A LibVQ raw data directory: collection.tsv, {mode}-queries.tsv, {mode}-rels.tsv. */
  dataDir: string;
  outputDir: string;
  /**
   * The tokenizer: an instance (tokenizes in this thread, or in workers through its `factory`), or a
   * TokenizerFactory that builds one (in this thread and in every worker).
   */
  tokenizer: TextTokenizer | TokenizerFactory;
  /** Tokens per document, special tokens included (LibVQ default 256). */
  maxDocLength?: number;
  /** Tokens per query, special tokens included (LibVQ default 32). */
  maxQueryLength?: number;
  /** Worker threads tokenizing batches in parallel; 1 (default) tokenizes in this thread. */
  workers?: number;
  /** Rows per tokenization batch and per record batch of the tokens file (default 2048). */
  batchRows?: number;
  /** Skip malformed rows (counted in the result) instead of failing. */
  skipBadRows?: boolean;
  signal?: AbortSignal;
  /** Lines processed over all input files, and their total. */
  onProgress?: (done: number, total: number) => void;
}

export interface PrefixSummary {
  source: string;
  rows: number;
  tokens: number;
  maxLength: number;
  /** Text fields per row in the source. */
  fields: number;
  skipped: number;
  skippedExamples: string[];
}

export interface PreprocessResult {
  outputDir: string;
  tokenizer: string;
  prefixes: Record<string, PrefixSummary>;
  /** Judgments per mode (`{mode}-rels.tsv` next to a `{mode}-queries.tsv`), written as `{mode}-rels.arrow`. */
  rels: Record<string, { source: string; count: number; queries: number; skipped: number; skippedExamples: string[] }>;
}

/** How batches get tokenized: in this thread, or by a worker pool (replies awaited in order). */
interface Tokenize {
  name: string;
  separator: string | null;
  /** Starts tokenizing a batch; the promise resolves with the rows in the batch's order. */
  run(texts: string[], maxLength: number): Promise<TokenRows>;
  /** Batches that may be in flight at once. */
  window: number;
  close(): Promise<void>;
}

function isFactory(t: TextTokenizer | TokenizerFactory): t is TokenizerFactory {
  return typeof (t as TokenizerFactory).module === 'string' && typeof (t as TextTokenizer).encode !== 'function';
}

async function startTokenize(source: TextTokenizer | TokenizerFactory, workers: number): Promise<Tokenize> {
  if (workers > 1) {
    const factory = isFactory(source) ? source : checkTextTokenizer(source, 'tokenizer').factory;
    if (!factory) {
      throw new LibvqError(
        'INVALID_ARGUMENT',
        `tokenizer: workers = ${workers} needs a tokenizer that worker threads can rebuild: pass a TokenizerFactory, or a tokenizer with a "factory" property (or use workers: 1)`,
      );
    }
    const pool = await TokenizerPool.start(factory, workers);
    return {
      name: pool.name,
      separator: pool.separator,
      run: (texts, maxLength) => pool.tokenize(texts, maxLength),
      window: 2 * workers,
      close: () => pool.close(),
    };
  }
  const tok = isFactory(source) ? await buildTokenizer(source) : checkTextTokenizer(source, 'tokenizer');
  return {
    name: tok.name,
    separator: tok.separator,
    run: (texts, maxLength) => Promise.resolve(tokenizeTexts(tok, texts, maxLength)),
    window: 1,
    close: () => Promise.resolve(),
  };
}

/** Regroups the record stream's chunk-sized batches into batches of `size` rows. */
async function* rebatch(stream: AsyncIterable<TextRecord[]>, size: number): AsyncGenerator<TextRecord[]> {
  let buf: TextRecord[] = [];
  for await (const chunk of stream) {
    for (const r of chunk) {
      buf.push(r);
      if (buf.length === size) {
        yield buf;
        buf = [];
      }
    }
  }
  if (buf.length > 0) yield buf;
}

function checkLength(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 2) throw invalidArgument(name, 'an integer >= 2 (room for the first and last special token)', v);
  return v;
}

/**
 * LibVQ's preprocess_data: tokenizes collection.tsv and every {mode}-queries.tsv once (a record's fields
 * joined with the tokenizer's separator token, truncated keeping the first and last special token), and
 * writes per prefix the tokens (Arrow IPC, streamed batch by batch) and the id map; then checks each
 * {mode}-rels.tsv against the id maps and writes it as an Arrow table. Output is identical for any number
 * of workers. Every file goes through a temporary name, so an aborted run leaves no partial outputs.
 */
export async function preprocessData(opts: PreprocessOptions): Promise<PreprocessResult> {
  const { dataDir, outputDir, signal, onProgress, skipBadRows = false } = opts;
  const maxDocLength = checkLength('maxDocLength', opts.maxDocLength ?? 256);
  const maxQueryLength = checkLength('maxQueryLength', opts.maxQueryLength ?? 32);
  const workers = opts.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw invalidArgument('workers', 'a positive integer', workers);
  const batchRows = opts.batchRows ?? 2048;
  if (!Number.isInteger(batchRows) || batchRows < 1) throw invalidArgument('batchRows', 'a positive integer', batchRows);

  const sources = await findRawSources(dataDir);
  await mkdir(outputDir, { recursive: true });
  const lineCounts = onProgress ? await Promise.all(sources.map((s) => countLines(s.file))) : sources.map(() => 0);
  const totalLines = lineCounts.reduce((a, b) => a + b, 0);
  let linesBefore = 0;

  const tokenize = await startTokenize(opts.tokenizer, workers);
  const result: PreprocessResult = { outputDir, tokenizer: tokenize.name, prefixes: {}, rels: {} };
  const idMaps = new Map<string, IdMap>();
  try {
    for (let s = 0; s < sources.length; s++) {
      const src = sources[s];
      const maxLength = src.isQuery ? maxQueryLength : maxDocLength;
      const base = linesBefore;
      const { summary, ids } = await tokenizeSource(src, outputDir, tokenize, maxLength, batchRows, skipBadRows, signal, (line) =>
        onProgress?.(base + line, totalLines),
      );
      result.prefixes[src.prefix] = summary;
      idMaps.set(src.prefix, ids);
      linesBefore += lineCounts[s];
      onProgress?.(linesBefore, totalLines);
    }
  } finally {
    await tokenize.close();
  }

  const docIds = idMaps.get(DOCS_PREFIX)!;
  for (const src of sources) {
    if (!src.isQuery || src.mode === undefined) continue;
    const file = join(dataDir, `${src.mode}-rels.tsv`);
    if (!existsSync(file)) continue;
    throwIfAborted(signal, 'preprocessData');
    const queryIds = idMaps.get(src.prefix)!;
    const r = await loadRels(file, { queryIds, docIds, skipBadRows, signal });
    await writeRelsTable(relsPath(outputDir, src.mode), r.rels);
    result.rels[src.mode] = { source: basename(file), count: r.count, queries: r.rels.size, skipped: r.skipped, skippedExamples: r.skippedExamples };
  }

  const manifest = { format: 'libvq-preprocessed', version: 1, tokenizer: tokenize.name, maxDocLength, maxQueryLength, prefixes: result.prefixes, rels: result.rels };
  await writeFileAtomic(join(outputDir, MANIFEST_FILE), [`${JSON.stringify(manifest, null, 2)}\n`]);
  return result;
}

/** Tokenizes one raw file into {prefix}.tokens.arrow and {prefix}.ids.arrow. */
async function tokenizeSource(
  src: RawSource,
  outputDir: string,
  tokenize: Tokenize,
  maxLength: number,
  batchRows: number,
  skipBadRows: boolean,
  signal: AbortSignal | undefined,
  onLine: (line: number) => void,
): Promise<{ summary: PrefixSummary; ids: IdMap }> {
  const stream = new TextRecordStream(src.file, { skipBadRows, signal });
  const schema = tokensSchema({ tokenizer: tokenize.name, maxLength });
  let tokens = 0;
  async function* batches(): AsyncGenerator<RecordBatch> {
    // Up to `window` batches are tokenized at once; they are written in the order they were read.
    const inflight: Array<{ rows: Promise<TokenRows>; lastLine: number }> = [];
    const drainOne = async (): Promise<RecordBatch> => {
      const head = inflight.shift()!;
      const rows = await head.rows;
      tokens += rows.values.length;
      onLine(head.lastLine);
      return tokensBatch(schema, rows);
    };
    try {
      for await (const recs of rebatch(stream, batchRows)) {
        throwIfAborted(signal, 'preprocessData');
        const texts = recs.map((r) => joinFields(r.fields, tokenize.separator));
        const rows = tokenize.run(texts, maxLength);
        // Rejections are handled when the batch is drained; until then keep them from being "unhandled".
        rows.catch(() => undefined);
        inflight.push({ rows, lastLine: recs[recs.length - 1].line });
        if (inflight.length >= tokenize.window) yield await drainOne();
      }
      while (inflight.length > 0) yield await drainOne();
    } finally {
      inflight.length = 0;
    }
  }
  await writeArrowFile(tokensPath(outputDir, src.prefix), schema, batches());
  await writeIdMapFile(idsPath(outputDir, src.prefix), stream.ids);
  const report = stream.report;
  return {
    ids: stream.ids,
    summary: {
      source: basename(src.file),
      rows: stream.ids.size,
      tokens,
      maxLength,
      fields: stream.fieldCount ?? 0,
      skipped: report.skipped,
      skippedExamples: report.skippedExamples,
    },
  };
}
