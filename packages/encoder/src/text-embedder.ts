import { LibvqError, type Matrix } from '@libvq/index-core';
import { checkMatrix } from '@libvq/index-core/util';

/** What an encoder's text path is told about a batch. */
export interface TextEmbedOptions {
  /** Queries go through the query side (e.g. an instruction prefix or a query model), documents through the doc side. */
  isQuery: boolean;
  signal?: AbortSignal;
}

/**
 * An encoder that takes texts, not token ids: transformers.js, a remote embedding API, anything that tokenizes on
 * its own. `encodeTexts` and `inference` hand it the texts in batches and skip tokenization; it returns one row per
 * text. A BaseEncoder subclass may implement `encodeTexts` too, and then that path is the one used.
 */
export interface TextEmbedder {
  /** The embedding dimension of both sides. */
  readonly dim: number;
  encodeTexts(texts: readonly string[], opts: TextEmbedOptions): Promise<Matrix>;
  dispose?(): Promise<void>;
  /** Stored in embedding files' metadata (libvq.encoder); default: the class name. */
  describe?(): string;
  /** libvq.pooling metadata; default 'unknown'. */
  pooling?(): string;
  /** libvq.normalized metadata; default false. */
  normalized?(): boolean;
}

/** Whether the encoder has the text path (then texts go to it untokenized). */
export function hasTextPath(encoder: object): encoder is TextEmbedder {
  return typeof (encoder as Partial<TextEmbedder>).encodeTexts === 'function';
}

/**
 * One batch through the text path, checked: an encoder that returns the wrong shape or non-finite values is an
 * error here, naming the batch, rather than a corrupt embeddings file later.
 */
export async function embedTextBatch(encoder: TextEmbedder, texts: readonly string[], opts: TextEmbedOptions, what: string): Promise<Matrix> {
  const dim = encoder.dim;
  const emb = await encoder.encodeTexts(texts, opts);
  checkMatrix(emb, `${what}: encodeTexts result`);
  if (emb.rows !== texts.length || emb.dim !== dim) {
    throw new LibvqError('DIMENSION_MISMATCH', `${what}: encodeTexts returned ${emb.rows}x${emb.dim} for a batch of ${texts.length} texts, expected ${texts.length}x${dim}`);
  }
  return emb;
}

/** The metadata an embeddings file records about its encoder, with the defaults of an encoder that says nothing. */
export function encoderInfo(encoder: Partial<Pick<TextEmbedder, 'describe' | 'pooling' | 'normalized'>>): { name: string; pooling: string; normalized: boolean } {
  return {
    name: encoder.describe?.() ?? encoder.constructor.name,
    pooling: encoder.pooling?.() ?? 'unknown',
    normalized: encoder.normalized?.() ?? false,
  };
}
