import { LibvqError } from '@libvq/index-core';

/**
 * The shape of a BERT-family encoder (BERT, MiniLM, BGE, E5: Hugging Face's BertModel), post-LayerNorm, with
 * learned absolute positions, an exact (erf) GELU feed-forward and a pooled, optionally L2-normalised output.
 */
export interface BertConfig {
  readonly vocabSize: number;
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly intermediate: number;
  readonly maxPositions: number;
  /** Rows of the token-type (segment) table; 0: the model has none. */
  readonly typeVocabSize: number;
  readonly layerNormEps: number;
  /** How token states become one vector: the [CLS] state (first token) or the mean over real tokens. */
  readonly pooling: 'cls' | 'mean';
  /** L2-normalise the pooled vector (sentence-transformers' Normalize module). */
  readonly normalize: boolean;
}

function positiveInt(v: unknown, field: string, where: string): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw new LibvqError('BAD_FILE', `${where}: ${field} = ${JSON.stringify(v)}, expected a positive integer`);
  return v as number;
}

/** Checks a config's numbers and that the heads divide the hidden size. */
export function checkBertConfig(c: BertConfig, where = 'BERT config'): BertConfig {
  positiveInt(c.vocabSize, 'vocabSize', where);
  positiveInt(c.hidden, 'hidden', where);
  positiveInt(c.layers, 'layers', where);
  positiveInt(c.heads, 'heads', where);
  positiveInt(c.intermediate, 'intermediate', where);
  positiveInt(c.maxPositions, 'maxPositions', where);
  if (!(Number.isInteger(c.typeVocabSize) && c.typeVocabSize >= 0)) throw new LibvqError('BAD_FILE', `${where}: typeVocabSize = ${c.typeVocabSize}, expected an integer >= 0`);
  if (c.hidden % c.heads !== 0) throw new LibvqError('BAD_FILE', `${where}: hidden size ${c.hidden} is not a multiple of the ${c.heads} attention heads`);
  if (!(c.layerNormEps > 0 && c.layerNormEps < 1)) throw new LibvqError('BAD_FILE', `${where}: layerNormEps = ${c.layerNormEps}, expected a number in (0, 1)`);
  if (c.pooling !== 'cls' && c.pooling !== 'mean') throw new LibvqError('BAD_FILE', `${where}: pooling = ${JSON.stringify(c.pooling)}, expected "cls" or "mean"`);
  return c;
}

/** Activations the TypeScript forward implements (Hugging Face's names for the exact GELU). */
const GELU_NAMES = new Set(['gelu', 'gelu_python', 'gelu_new_exact']);

/**
 * A Hugging Face config.json (model_type bert) as a BertConfig; pooling and normalisation are not in it (they
 * are the user's choice of sentence embedding) and come from `output`. Anything the TypeScript forward does
 * not implement — another model type, a non-absolute position embedding, another activation — is refused by name.
 */
export function bertConfigFromHf(json: Record<string, unknown>, file: string, output: { pooling: 'cls' | 'mean'; normalize: boolean }): BertConfig {
  checkHfBertKind(json, file);
  const hidden = positiveInt(json.hidden_size, 'hidden_size', file);
  return checkBertConfig({
    vocabSize: positiveInt(json.vocab_size, 'vocab_size', file),
    hidden,
    layers: positiveInt(json.num_hidden_layers, 'num_hidden_layers', file),
    heads: positiveInt(json.num_attention_heads, 'num_attention_heads', file),
    intermediate: positiveInt(json.intermediate_size, 'intermediate_size', file),
    maxPositions: positiveInt(json.max_position_embeddings, 'max_position_embeddings', file),
    typeVocabSize: json.type_vocab_size === undefined ? 2 : (json.type_vocab_size as number),
    layerNormEps: json.layer_norm_eps === undefined ? 1e-12 : (json.layer_norm_eps as number),
    pooling: output.pooling,
    normalize: output.normalize,
  }, file);
}

/** Refuses a config.json whose model type, activation or position embedding the TypeScript forward does not implement. */
export function checkHfBertKind(json: Record<string, unknown>, file: string): void {
  const type = json.model_type;
  if (type !== undefined && type !== 'bert') throw new LibvqError('UNSUPPORTED', `${file}: model_type ${JSON.stringify(type)} is not a BERT-family encoder this library can train (model_type "bert": BERT, MiniLM, BGE, E5)`);
  const act = json.hidden_act ?? 'gelu';
  if (typeof act !== 'string' || !GELU_NAMES.has(act)) throw new LibvqError('UNSUPPORTED', `${file}: hidden_act ${JSON.stringify(act)}: only the exact (erf) GELU is implemented ("gelu")`);
  const pos = json.position_embedding_type ?? 'absolute';
  if (pos !== 'absolute') throw new LibvqError('UNSUPPORTED', `${file}: position_embedding_type ${JSON.stringify(pos)}: only "absolute" is implemented`);
}

/** The config.json fields Hugging Face's BertModel reads, for an exported model directory. */
export function bertConfigToHf(c: BertConfig): Record<string, unknown> {
  return {
    model_type: 'bert',
    architectures: ['BertModel'],
    vocab_size: c.vocabSize,
    hidden_size: c.hidden,
    num_hidden_layers: c.layers,
    num_attention_heads: c.heads,
    intermediate_size: c.intermediate,
    hidden_act: 'gelu',
    max_position_embeddings: c.maxPositions,
    type_vocab_size: c.typeVocabSize,
    layer_norm_eps: c.layerNormEps,
    position_embedding_type: 'absolute',
  };
}
