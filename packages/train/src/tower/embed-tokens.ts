import { invalidArgument, throwIfAborted } from '@libvq/index-core/util';
import { type Matrix } from '@libvq/index-core';
import { padBatch, type TokenBatch } from '@libvq/encoder';

/** Token rows as @libvq/dataset's readTokens gives them (row i = values[offsets[i]..offsets[i+1])). */
export interface QueryTokens {
  rows: number;
  offsets: Int32Array;
  values: Int32Array;
}

/** The given rows of `tokens`, each cut to its first maxLen tokens, padded with id 0 into one batch. */
export function tokenBatchOf(tokens: QueryTokens, rows: Int32Array, maxLen: number): TokenBatch {
  const seqs: Int32Array[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!(r >= 0 && r < tokens.rows)) throw invalidArgument('token row', `a row in [0, ${tokens.rows})`, r);
    const a = tokens.offsets[r];
    seqs.push(tokens.values.subarray(a, Math.min(tokens.offsets[r + 1], a + maxLen)));
  }
  return padBatch(seqs, 0);
}

export interface EmbedTokenRowsOptions {
  /** Tokens per row kept (longer rows are cut). Default 32 (LibVQ's query length). */
  maxLength?: number;
  /** The same as maxLength (the name LibVQ's query encoding uses). */
  maxQueryLength?: number;
  batchSize?: number;
  signal?: AbortSignal;
  /** Rows embedded so far, of all. */
  onProgress?: (done: number, total: number) => void;
}

/** Embeds every token row with a tower's inference pass, `batchSize` rows per call. */
export async function embedTokenRows(
  tower: { dim: number; embed(batch: TokenBatch): Promise<Matrix> },
  tokens: QueryTokens,
  o: EmbedTokenRowsOptions = {},
): Promise<Matrix> {
  const maxLen = o.maxLength ?? o.maxQueryLength ?? 32;
  if (!Number.isInteger(maxLen) || maxLen < 1) throw invalidArgument('maxLength', 'a positive integer', maxLen);
  const bs = o.batchSize ?? 256;
  const d = tower.dim;
  const out = new Float32Array(tokens.rows * d);
  for (let s = 0; s < tokens.rows; s += bs) {
    throwIfAborted(o.signal, 'encode');
    const e = Math.min(tokens.rows, s + bs);
    const m = await tower.embed(tokenBatchOf(tokens, Int32Array.from({ length: e - s }, (_, i) => s + i), maxLen));
    out.set(m.data, s * d);
    o.onProgress?.(e, tokens.rows);
  }
  return { rows: tokens.rows, dim: d, data: out };
}

/** Token rows from separate sequences (row i = seqs[i]). */
export function tokenRowsOf(seqs: readonly Int32Array[]): QueryTokens {
  const offsets = new Int32Array(seqs.length + 1);
  for (let i = 0; i < seqs.length; i++) offsets[i + 1] = offsets[i] + seqs[i].length;
  const values = new Int32Array(offsets[seqs.length]);
  seqs.forEach((s, i) => values.set(s, offsets[i]));
  return { rows: seqs.length, offsets, values };
}
