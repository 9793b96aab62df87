import { invalidArgument } from '@libvq/index-core/util';

/**
 * Truncates a token sequence to maxLength, keeping its first and last token when they are special tokens
 * ([CLS] ... [SEP]): the middle is cut, so a truncated document still ends with the separator the model
 * was trained to see. Sequences that fit are returned as they are (no copy).
 */
export function truncateKeepingSpecial(ids: Int32Array, maxLength: number, isSpecial: (id: number) => boolean): Int32Array {
  if (!Number.isInteger(maxLength) || maxLength < 1) throw invalidArgument('maxLength', 'a positive integer', maxLength);
  const n = ids.length;
  if (n <= maxLength) return ids;
  const tail = isSpecial(ids[n - 1]) ? 1 : 0;
  const head = isSpecial(ids[0]) ? 1 : 0;
  if (maxLength < head + tail) {
    throw invalidArgument('maxLength', `at least ${head + tail} (the sequence starts and ends with special tokens that truncation keeps)`, maxLength);
  }
  const out = new Int32Array(maxLength);
  out.set(ids.subarray(0, maxLength - tail));
  if (tail) out[maxLength - 1] = ids[n - 1];
  return out;
}
