import { LibvqError, type Matrix } from '@libvq/index-core';
import { invalidArgument, throwIfAborted } from '@libvq/index-core/util';
import type { BaseEncoder } from './base-encoder.js';
import { padBatch } from './batch.js';

/** What encodeTexts needs from a tokenizer (HfTokenizer has it). */
export interface SequenceTokenizer {
  readonly padId: number;
  encode(text: string, maxLength?: number): Int32Array;
}

export interface EncodeTextsOptions {
  encoder: BaseEncoder;
  tokenizer: SequenceTokenizer;
  texts: readonly string[];
  /** Queries go through the query tower, documents through the doc tower. Default false. */
  isQuery?: boolean;
  /** Tokens per text, special tokens included (longer texts are truncated keeping them). Default 512. */
  maxLength?: number;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Tokenizes and encodes raw texts in batches: texts.length x encoder.dim. */
export async function encodeTexts(opts: EncodeTextsOptions): Promise<Matrix> {
  const { encoder, tokenizer, texts, isQuery = false, maxLength = 512, batchSize = 32, signal, onProgress } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalidArgument('batchSize', 'a positive integer', batchSize);
  const n = texts.length;
  const dim = encoder.dim;
  const out = new Float32Array(n * dim);
  for (let start = 0; start < n; start += batchSize) {
    throwIfAborted(signal, 'encodeTexts');
    const end = Math.min(n, start + batchSize);
    const seqs: Int32Array[] = [];
    for (let i = start; i < end; i++) seqs.push(tokenizer.encode(texts[i], maxLength));
    const batch = padBatch(seqs, tokenizer.padId, maxLength);
    const emb = isQuery ? await encoder.queryEmb(batch) : await encoder.docEmb(batch);
    if (emb.rows !== end - start || emb.dim !== dim) {
      throw new LibvqError('DIMENSION_MISMATCH', `encodeTexts: encoder returned ${emb.rows}x${emb.dim} for a batch of ${end - start} texts, expected ${end - start}x${dim}`);
    }
    out.set(emb.data, start * dim);
    onProgress?.(end, n);
  }
  return { rows: n, dim, data: out };
}
