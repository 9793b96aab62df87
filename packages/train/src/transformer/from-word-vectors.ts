import { invalidArgument } from '@libvq/index-core/util';
import type { Matrix } from '@libvq/index-core';
import { checkBertConfig, type BertConfig } from './bert-config.js';
import { EMB, layerNames, randomBertWeights, type BertWeights } from './bert-weights.js';

export interface FromWordVectorsOptions {
  layers?: number;
  heads?: number;
  /** Feed-forward width; default 4 x the word vectors' dimension (BERT's ratio). */
  intermediate?: number;
  maxPositions?: number;
  seed?: number;
}

/**
 * A BERT whose first output is (close to) a word-vector model's bag-of-words embedding, to train from there: the
 * word table is the word vectors (row i = token id i, as the word model's tokenizer numbers them), position and
 * segment tables are zero, and every residual branch starts at zero (attention output and feed-forward output
 * projections, weights and biases: the zero-init residual of Fixup / ReZero), so each layer starts as the
 * identity on its LayerNorm-ed input. With mean pooling and L2 normalisation the untrained model outputs the
 * normalised mean of LN(e_t) — each word vector centred and scaled to unit variance — where the bag of words has
 * the normalised mean of e_t. The query / key / value and feed-forward input weights take BERT's N(0, 0.02): they
 * start to matter once training moves the zero projections.
 */
export function bertFromWordVectors(table: Matrix, opts: FromWordVectorsOptions = {}): { config: BertConfig; weights: BertWeights } {
  const H = table.dim;
  const heads = opts.heads ?? (H % 4 === 0 ? 4 : 1);
  if (H % heads !== 0) throw invalidArgument('heads', `a divisor of the word vectors' dimension ${H}`, heads);
  const config = checkBertConfig({
    vocabSize: table.rows,
    hidden: H,
    layers: opts.layers ?? 2,
    heads,
    intermediate: opts.intermediate ?? 4 * H,
    maxPositions: opts.maxPositions ?? 512,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
    pooling: 'mean',
    normalize: true,
  });
  const weights = randomBertWeights(config, opts.seed ?? 1);
  weights[EMB.word] = table.data instanceof Float32Array ? table.data : Float32Array.from(table.data);
  weights[EMB.pos].fill(0);
  weights[EMB.type].fill(0);
  for (let i = 0; i < config.layers; i++) {
    const n = layerNames(i);
    for (const p of [n.o, n.ffnOut]) {
      weights[`${p}.weight`].fill(0);
      weights[`${p}.bias`].fill(0);
    }
  }
  return { config, weights };
}
