import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LibvqError, type LongOperationOptions, type Matrix } from '@libvq/index-core';
import { invalidArgument, throwIfAborted } from '@libvq/index-core/util';
import { fixedSizeListData, idsData, recordBatch, schemaFor } from '@libvq/dataset/arrow';
import { readIdMap } from '@libvq/dataset';
import { streamTokens, truncateKeepingSpecial } from '@libvq/dataset/tokens';
import { writeArrowFile } from '@libvq/dataset/formats';
import type { BaseEncoder } from './base-encoder.js';
import { padBatch } from './batch.js';

/** Where inference writes a prefix's embeddings: `{outputDir}/{prefix}.embeddings.arrow`. */
export function embeddingsPath(outputDir: string, prefix: string): string {
  return join(outputDir, `${prefix}.embeddings.arrow`);
}

export interface InferenceOptions extends LongOperationOptions {
  /** A preprocessed directory (preprocessData's output: `{prefix}.tokens.arrow`, `{prefix}.ids.arrow`). */
  dataDir: string;
  /** `docs`, `train-queries`, `dev-queries`, ... */
  prefix: string;
  encoder: BaseEncoder;
  /** Use the query tower. Default: true when the prefix ends with "queries". */
  isQuery?: boolean;
  outputDir: string;
  /**
   * Tokens per row fed to the model. Default: what the tokens file was truncated to. Longer rows are cut
   * keeping their first and last special token, which needs `isSpecial` (or an encoder with a tokenizer).
   */
  maxLength?: number;
  /** Which ids are special tokens, for truncation (default: the encoder's tokenizer, when it has one). */
  isSpecial?: (id: number) => boolean;
  batchSize?: number;
  /** Also return the embeddings as one matrix (they are always written to the file). */
  returnVecs?: boolean;
}

export interface InferenceResult {
  /** The embeddings file written. */
  path: string;
  rows: number;
  dim: number;
  /** Rows cut to maxLength. */
  truncated: number;
  /** Present when returnVecs was set. */
  vectors?: Matrix;
}

/**
 * LibVQ's inference(): encodes one prefix of a preprocessed directory in batches and writes its
 * embeddings as an Arrow IPC embeddings table (id, embedding: FixedSizeList<Float32>[d], libvq.*
 * metadata), streaming token batches in and record batches out, so memory stays bounded by one token
 * batch unless returnVecs asks for the whole matrix. Within each token batch rows are encoded in order of
 * length, so padding is minimal; results go back to their row offsets.
 */
export async function inference(opts: InferenceOptions): Promise<InferenceResult> {
  const { dataDir, prefix, encoder, outputDir, batchSize = 64, returnVecs = false, signal, onProgress } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalidArgument('batchSize', 'a positive integer', batchSize);
  if (opts.maxLength !== undefined && (!Number.isInteger(opts.maxLength) || opts.maxLength < 1)) throw invalidArgument('maxLength', 'a positive integer', opts.maxLength);
  const isQuery = opts.isQuery ?? prefix.endsWith('queries');
  const isSpecial = opts.isSpecial ?? tokenizerOf(encoder)?.isSpecial.bind(tokenizerOf(encoder));
  const dim = encoder.dim;
  const idMap = await readIdMap(dataDir, prefix);
  const ids = idMap.ids();
  const total = ids.length;
  const schema = embeddingsSchema(dim, encoder);
  const all = returnVecs ? new Float32Array(total * dim) : undefined;
  let done = 0;
  let truncated = 0;

  async function* batches(): AsyncGenerator<ReturnType<typeof recordBatch>> {
    for await (const chunk of streamTokens(dataDir, prefix)) {
      throwIfAborted(signal, `encoding ${prefix}`);
      if (chunk.start + chunk.rows > total) {
        throw new LibvqError('BAD_FILE', `${dataDir}: ${prefix} tokens have more rows (${chunk.start + chunk.rows}+) than its id map (${total})`);
      }
      const maxLength = opts.maxLength ?? chunk.info.maxLength;
      const rows: Int32Array[] = [];
      for (let i = 0; i < chunk.rows; i++) {
        let r = chunk.values.subarray(chunk.offsets[i], chunk.offsets[i + 1]);
        if (r.length > maxLength) {
          if (isSpecial === undefined) {
            throw new LibvqError('INVALID_ARGUMENT', `${prefix} row ${chunk.start + i} has ${r.length} tokens, more than maxLength ${maxLength}, and the encoder has no tokenizer to tell which ids are special; pass isSpecial or a larger maxLength`);
          }
          r = truncateKeepingSpecial(r, maxLength, isSpecial);
          truncated++;
        }
        rows.push(r);
      }
      const out = new Float32Array(chunk.rows * dim);
      // Longest first, so the first batch shows a model that cannot take the longest rows at once.
      const order = Array.from({ length: chunk.rows }, (_, i) => i).sort((a, b) => rows[b].length - rows[a].length || a - b);
      for (let s = 0; s < order.length; s += batchSize) {
        throwIfAborted(signal, `encoding ${prefix}`);
        const idx = order.slice(s, s + batchSize);
        const batch = padBatch(idx.map((i) => rows[i]), padIdOf(encoder), maxLength);
        const emb = isQuery ? await encoder.queryEmb(batch) : await encoder.docEmb(batch);
        if (emb.rows !== idx.length || emb.dim !== dim) {
          throw new LibvqError('DIMENSION_MISMATCH', `encoder returned ${emb.rows}x${emb.dim} for a batch of ${idx.length} rows, expected ${idx.length}x${dim}`);
        }
        idx.forEach((i, k) => out.set(emb.data.subarray(k * dim, (k + 1) * dim), i * dim));
        done += idx.length;
        onProgress?.(done, total);
      }
      all?.set(out, chunk.start * dim);
      yield recordBatch(schema, [idsData(ids.slice(chunk.start, chunk.start + chunk.rows)), fixedSizeListData(out, dim)]);
    }
    if (done !== total) throw new LibvqError('BAD_FILE', `${dataDir}: ${prefix} has ${done} token rows but ${total} ids`);
  }

  await mkdir(outputDir, { recursive: true });
  const path = embeddingsPath(outputDir, prefix);
  await writeArrowFile(path, schema, batches());
  const result: InferenceResult = { path, rows: total, dim, truncated };
  if (all) result.vectors = { rows: total, dim, data: all };
  return result;
}

/** The embeddings table schema (dataset's contract): id: Utf8, embedding: FixedSizeList<Float32>[dim], libvq.* metadata. */
function embeddingsSchema(dim: number, encoder: BaseEncoder): ReturnType<typeof schemaFor> {
  const metadata = new Map([
    ['libvq.dim', String(dim)],
    ['libvq.encoder', encoder.describe()],
    ['libvq.pooling', encoder.pooling()],
    ['libvq.normalized', String(encoder.normalized())],
  ]);
  return schemaFor(['id', 'embedding'], [idsData([]), fixedSizeListData(new Float32Array(0), dim)], metadata);
}

interface WithTokenizer {
  tokenizer?: { isSpecial(id: number): boolean; padId: number };
}

function tokenizerOf(encoder: BaseEncoder): WithTokenizer['tokenizer'] {
  return (encoder as BaseEncoder & WithTokenizer).tokenizer;
}

/** Padding positions are masked, so their id only has to be a valid row of the model's vocabulary. */
function padIdOf(encoder: BaseEncoder): number {
  return tokenizerOf(encoder)?.padId ?? 0;
}
