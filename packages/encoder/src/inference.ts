import { mkdir } from 'node:fs/promises';
import { LibvqError, type LongOperationOptions } from '@libvq/index-core';
import { invalidArgument, throwIfAborted } from '@libvq/index-core/util';
import { fixedSizeListData, idsData, recordBatch } from '@libvq/dataset/arrow';
import { readIdMap } from '@libvq/dataset';
import { streamTokens, truncateKeepingSpecial } from '@libvq/dataset/tokens';
import { writeArrowFile } from '@libvq/dataset/formats';
import type { BaseEncoder } from './base-encoder.js';
import { padBatch } from './batch.js';
import { embeddingsPath, embeddingsSchema, type InferenceResult } from './embeddings-output.js';
import { inferTexts } from './inference-texts.js';
import { hasTextPath, type TextEmbedder } from './text-embedder.js';

export interface InferenceOptions extends LongOperationOptions {
  /**
   * A preprocessed directory (preprocessData's output: `{prefix}.tokens.arrow`, `{prefix}.ids.arrow`); for an
   * encoder with encodeTexts, the raw LibVQ data directory instead (`collection.tsv` for docs, `{prefix}.tsv` for
   * queries): its texts go to the encoder untokenized, a record's fields joined by a space.
   */
  dataDir: string;
  /** `docs`, `train-queries`, `dev-queries`, ... */
  prefix: string;
  /** A token encoder (BaseEncoder), or one that takes texts (encodeTexts: a TextEmbedder, or a BaseEncoder that has it). */
  encoder: BaseEncoder | TextEmbedder;
  /** Use the query tower. Default: true when the prefix ends with "queries". */
  isQuery?: boolean;
  outputDir: string;
  /**
   * Tokens per row fed to the model. Default: what the tokens file was truncated to. Longer rows are cut
   * keeping their first and last special token, which needs `isSpecial` (or an encoder with a tokenizer).
   * Token encoders only: an encoder with encodeTexts gets whole texts and truncates them itself.
   */
  maxLength?: number;
  /** Which ids are special tokens, for truncation (default: the encoder's tokenizer, when it has one). Token encoders only. */
  isSpecial?: (id: number) => boolean;
  batchSize?: number;
  /** Also return the embeddings as one matrix (they are always written to the file). */
  returnVecs?: boolean;
}

export type { InferenceResult } from './embeddings-output.js';

/**
 * LibVQ's inference(): encodes one prefix of a preprocessed directory in batches and writes its
 * embeddings as an Arrow IPC embeddings table (id, embedding: FixedSizeList<Float32>[d], libvq.*
 * metadata), streaming token batches in and record batches out, so memory stays bounded by one token
 * batch unless returnVecs asks for the whole matrix. Within each token batch rows are encoded in order of
 * length, so padding is minimal; results go back to their row offsets. An encoder with encodeTexts reads
 * the raw texts instead (inference-texts.ts) and writes the same table.
 */
export async function inference(opts: InferenceOptions): Promise<InferenceResult> {
  const { dataDir, prefix, encoder, outputDir, batchSize = 64, returnVecs = false, signal, onProgress } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalidArgument('batchSize', 'a positive integer', batchSize);
  if (opts.maxLength !== undefined && (!Number.isInteger(opts.maxLength) || opts.maxLength < 1)) throw invalidArgument('maxLength', 'a positive integer', opts.maxLength);
  if (encoder == null) throw invalidArgument('encoder', 'a BaseEncoder or an object with encodeTexts(texts, opts)', encoder);
  const isQuery = opts.isQuery ?? prefix.endsWith('queries');
  if (hasTextPath(encoder)) return inferTexts({ dataDir, prefix, encoder, outputDir, isQuery, batchSize, returnVecs, signal, onProgress });
  if (typeof encoder.queryEmb !== 'function' || typeof encoder.docEmb !== 'function') {
    throw invalidArgument('encoder', 'a BaseEncoder (queryEmb / docEmb over token batches) or an object with encodeTexts(texts, opts)', encoder);
  }
  // Named for the closure below, where the narrowing of `encoder` by the checks above does not reach.
  const tokenEncoder: BaseEncoder = encoder;
  const isSpecial = opts.isSpecial ?? tokenizerOf(tokenEncoder)?.isSpecial.bind(tokenizerOf(tokenEncoder));
  const dim = tokenEncoder.dim;
  const idMap = await readIdMap(dataDir, prefix);
  const ids = idMap.ids();
  const total = ids.length;
  const schema = embeddingsSchema(dim, tokenEncoder);
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
        const batch = padBatch(idx.map((i) => rows[i]), padIdOf(tokenEncoder), maxLength);
        const emb = isQuery ? await tokenEncoder.queryEmb(batch) : await tokenEncoder.docEmb(batch);
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
