import { LibvqError } from '@libvq/index-core';
import type { TokenRows } from '../arrow/tokens-table.js';
import type { TextTokenizer } from './text-tokenizer.js';
import { truncateKeepingSpecial } from './truncate.js';

/**
 * Tokenizes texts into concatenated token rows, each truncated to maxLength keeping its leading and
 * trailing special tokens. The same function runs in the main thread and in worker threads, so both
 * give the same bytes.
 */
export function tokenizeTexts(tokenizer: TextTokenizer, texts: readonly string[], maxLength: number): TokenRows {
  const rows = texts.length;
  const offsets = new Int32Array(rows + 1);
  const parts: Int32Array[] = new Array<Int32Array>(rows);
  for (let i = 0; i < rows; i++) {
    const ids = tokenizer.encode(texts[i]);
    if (!(ids instanceof Int32Array)) {
      throw new LibvqError('INVALID_ARGUMENT', `tokenizer ${tokenizer.name}: encode() must return an Int32Array, got ${Object.prototype.toString.call(ids)}`);
    }
    parts[i] = truncateKeepingSpecial(ids, maxLength, (id) => tokenizer.isSpecial(id));
    offsets[i + 1] = offsets[i] + parts[i].length;
  }
  const values = new Int32Array(offsets[rows]);
  for (let i = 0; i < rows; i++) values.set(parts[i], offsets[i]);
  return { rows, offsets, values };
}
