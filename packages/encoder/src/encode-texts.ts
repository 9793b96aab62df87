import { LibvqError, type Matrix } from '@libvq/index-core';
import { invalidArgument, throwIfAborted } from '@libvq/index-core/util';
import type { BaseEncoder } from './base-encoder.js';
import { padBatch } from './batch.js';
import { embedTextBatch, hasTextPath, type TextEmbedder } from './text-embedder.js';

/** What encodeTexts needs from a tokenizer (HfTokenizer has it). */
export interface SequenceTokenizer {
  readonly padId: number;
  encode(text: string, maxLength?: number): Int32Array;
}

export interface EncodeTextsOptions {
  /** A token encoder (BaseEncoder), or a text encoder (TextEmbedder: texts go to its encodeTexts untokenized). */
  encoder: BaseEncoder | TextEmbedder;
  /** Turns texts into token ids for a token encoder; not used by an encoder with encodeTexts. */
  tokenizer?: SequenceTokenizer;
  texts: readonly string[];
  /** Queries go through the query tower, documents through the doc tower. Default false. */
  isQuery?: boolean;
  /** Tokens per text, special tokens included (longer texts are truncated keeping them). Default 512. Token encoders only. */
  maxLength?: number;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Encodes raw texts in batches (tokenized first unless the encoder takes texts): texts.length x encoder.dim. */
export async function encodeTexts(opts: EncodeTextsOptions): Promise<Matrix> {
  const { encoder, tokenizer, texts, isQuery = false, maxLength = 512, batchSize = 32, signal, onProgress } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalidArgument('batchSize', 'a positive integer', batchSize);
  if (encoder == null) throw invalidArgument('encoder', 'a BaseEncoder or an object with encodeTexts(texts, opts)', encoder);
  let embed: (batch: readonly string[]) => Promise<Matrix>;
  if (hasTextPath(encoder)) {
    embed = (batch) => embedTextBatch(encoder, batch, { isQuery, signal }, 'encodeTexts');
  } else {
    if (typeof encoder.queryEmb !== 'function' || typeof encoder.docEmb !== 'function') {
      throw invalidArgument('encoder', 'a BaseEncoder (queryEmb / docEmb over token batches) or an object with encodeTexts(texts, opts)', encoder);
    }
    if (tokenizer == null) throw invalidArgument('tokenizer', 'a tokenizer (the encoder takes token batches and has no encodeTexts)', tokenizer);
    embed = async (batch) => {
      const tokens = padBatch(batch.map((t) => tokenizer.encode(t, maxLength)), tokenizer.padId, maxLength);
      const emb = isQuery ? await encoder.queryEmb(tokens) : await encoder.docEmb(tokens);
      if (emb.rows !== batch.length || emb.dim !== encoder.dim) {
        throw new LibvqError('DIMENSION_MISMATCH', `encodeTexts: encoder returned ${emb.rows}x${emb.dim} for a batch of ${batch.length} texts, expected ${batch.length}x${encoder.dim}`);
      }
      return emb;
    };
  }
  const n = texts.length;
  const dim = encoder.dim;
  const out = new Float32Array(n * dim);
  for (let start = 0; start < n; start += batchSize) {
    throwIfAborted(signal, 'encodeTexts');
    const end = Math.min(n, start + batchSize);
    out.set((await embed(texts.slice(start, end))).data, start * dim);
    onProgress?.(end, n);
  }
  return { rows: n, dim, data: out };
}
