import type { Matrix } from '@libvq/index-core';
import { loadGloveVectors } from '../vectors/load-vectors.js';
import type { GloveSourceOptions } from '../vectors/load-vectors.js';

/** Tokens are runs of lower-case letters and digits; only GloVe words of that shape can ever be looked up. */
export const GLOVE100_TOKEN_PATTERN = '[a-z0-9]+';
const WORD_RE = new RegExp(`^${GLOVE100_TOKEN_PATTERN}$`);
/** Rows 0 and 1 of the table: [PAD] and [UNK] (zeros; the graph gives them weight 0 anyway). */
export const PAD_ID = 0;
export const UNK_ID = 1;

export interface GloveWordVectors {
  words: readonly string[];
  vectors: Matrix;
}

/**
 * The glove-100 vocabulary and embedding table built from the GloVe words: the words of the token pattern in
 * file order (token ids 2..), the table's row i the vector of token id i, rows [PAD] and [UNK] zeros. The one
 * definition behind both the generated model (tokenizer.json + the ONNX initializer) and loadGlove100Table.
 */
export function glove100Vocabulary({ words, vectors }: GloveWordVectors): { words: string[]; table: Matrix } {
  const d = vectors.dim;
  const kept: string[] = [];
  const keptRows: number[] = [];
  for (let i = 0; i < words.length; i++) {
    if (WORD_RE.test(words[i])) {
      kept.push(words[i]);
      keptRows.push(i);
    }
  }
  const table = new Float32Array((kept.length + 2) * d);
  for (let k = 0; k < keptRows.length; k++) {
    const r = keptRows[k];
    table.set(vectors.data.subarray(r * d, (r + 1) * d), (k + 2) * d);
  }
  return { words: kept, table: { rows: kept.length + 2, dim: d, data: table } };
}

/**
 * The glove-100 model's embedding table, exactly its ONNX initializer (row i: the vector of the tokenizer's id
 * i), read from the word vectors without generating the model: what a trainable tower over the model's word
 * vectors starts from (@libvq/train's EmbeddingBagTower). A fresh array the caller may modify.
 */
export async function loadGlove100Table(opts: Pick<GloveSourceOptions, 'cacheDir' | 'signal'> = {}): Promise<Matrix> {
  return glove100Vocabulary(await loadGloveVectors({ cacheDir: opts.cacheDir, signal: opts.signal })).table;
}
