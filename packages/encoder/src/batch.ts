import { LibvqError } from '@libvq/index-core';
import { invalidArgument } from '@libvq/index-core/util';

/**
 * A batch of token sequences, padded to one length: what an encoder tower consumes.
 * Row b's tokens are inputIds[b*seqLength .. (b+1)*seqLength); padding positions hold the pad id and have
 * attentionMask 0.
 */
export interface TokenBatch {
  readonly batchSize: number;
  readonly seqLength: number;
  /** batchSize x seqLength, row-major. */
  readonly inputIds: Int32Array;
  /** batchSize x seqLength: 1 for a real token, 0 for padding. */
  readonly attentionMask: Uint8Array;
  /** batchSize x seqLength segment ids; absent means all 0. */
  readonly tokenTypeIds?: Int32Array;
}

/**
 * Pads variable-length sequences into a TokenBatch. Sequences longer than maxLength are an error here:
 * truncation belongs to the tokenizer, which knows which special tokens to keep.
 */
export function padBatch(sequences: ReadonlyArray<ArrayLike<number>>, padId: number, maxLength = Infinity): TokenBatch {
  if (!Number.isInteger(padId)) throw invalidArgument('padId', 'an integer token id', padId);
  let L = 0;
  for (let b = 0; b < sequences.length; b++) {
    const n = sequences[b].length;
    if (n > maxLength) {
      throw new LibvqError('INVALID_ARGUMENT', `padBatch: sequence ${b} has ${n} tokens, more than maxLength ${maxLength}`);
    }
    if (n > L) L = n;
  }
  // A batch of empty sequences still gets one (padding) position so models see a valid [B, 1] shape.
  const seqLength = Math.max(L, 1);
  const B = sequences.length;
  const inputIds = new Int32Array(B * seqLength).fill(padId);
  const attentionMask = new Uint8Array(B * seqLength);
  for (let b = 0; b < B; b++) {
    const s = sequences[b];
    const o = b * seqLength;
    for (let t = 0; t < s.length; t++) {
      inputIds[o + t] = s[t];
      attentionMask[o + t] = 1;
    }
  }
  return { batchSize: B, seqLength, inputIds, attentionMask };
}

/** Validates a batch's shape (encoders call this before running a model). */
export function checkTokenBatch(batch: TokenBatch, name = 'batch'): void {
  const { batchSize: B, seqLength: L } = batch;
  if (!Number.isInteger(B) || B < 0 || !Number.isInteger(L) || L < 1) {
    throw invalidArgument(`${name}.batchSize/seqLength`, 'batchSize >= 0 and seqLength >= 1', `${B}x${L}`);
  }
  const n = B * L;
  if (!(batch.inputIds instanceof Int32Array) || batch.inputIds.length !== n) {
    throw invalidArgument(`${name}.inputIds`, `an Int32Array of batchSize*seqLength = ${n} ids`, batch.inputIds);
  }
  if (!(batch.attentionMask instanceof Uint8Array) || batch.attentionMask.length !== n) {
    throw invalidArgument(`${name}.attentionMask`, `a Uint8Array of batchSize*seqLength = ${n} values`, batch.attentionMask);
  }
  if (batch.tokenTypeIds !== undefined && (!(batch.tokenTypeIds instanceof Int32Array) || batch.tokenTypeIds.length !== n)) {
    throw invalidArgument(`${name}.tokenTypeIds`, `an Int32Array of batchSize*seqLength = ${n} ids`, batch.tokenTypeIds);
  }
}
