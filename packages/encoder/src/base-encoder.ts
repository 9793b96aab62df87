import { LibvqError, type Matrix } from '@libvq/index-core';
import { invalidArgument } from '@libvq/index-core/util';
import type { TokenBatch } from './batch.js';
import type { TextEmbedOptions } from './text-embedder.js';

/**
 * One or two towers that turn token batches into embeddings (LibVQ's BaseEncoder). Subclasses implement
 * queryEmb and docEmb: each maps a TokenBatch of B sequences to a B x dim Matrix. Users extend the system by
 * subclassing this, e.g. a tower that calls a remote service or a different runtime.
 */
export abstract class BaseEncoder {
  /** The embedding dimension of both towers. */
  abstract readonly dim: number;
  abstract queryEmb(batch: TokenBatch): Promise<Matrix>;
  abstract docEmb(batch: TokenBatch): Promise<Matrix>;
  /**
   * Optional text path: texts in, one row each out. When an encoder has it, `encodeTexts()` and `inference()`
   * give it the texts and skip tokenization (an encoder that tokenizes on its own; one that takes only texts
   * implements TextEmbedder instead of extending this class).
   */
  encodeTexts?(texts: readonly string[], opts: TextEmbedOptions): Promise<Matrix>;
  /** Releases native resources (ONNX sessions). Safe to call twice. */
  async dispose(): Promise<void> {}
  /** A short description stored in embedding files' metadata (libvq.encoder). */
  describe(): string {
    return this.constructor.name;
  }
  /** How the tower pools token states (libvq.pooling metadata); 'unknown' for custom encoders. */
  pooling(): string {
    return 'unknown';
  }
  /** Whether embeddings are L2-normalised (libvq.normalized metadata). */
  normalized(): boolean {
    return false;
  }
}

/**
 * A tower: anything with a `dim` and an embedding function for token batches. An OnnxEncoder is one, and
 * so is any BaseEncoder (its doc tower).
 */
export interface Tower {
  readonly dim: number;
  embed(batch: TokenBatch): Promise<Matrix>;
  dispose?(): Promise<void>;
  describe?(): string;
  pooling?(): string;
  normalized?(): boolean;
}

/**
 * LibVQ's Encoder(query_encoder, doc_encoder): queries go through one tower, documents through the other.
 * Both may be the same object (a shared tower); dispose() releases each distinct tower once.
 */
export class Encoder extends BaseEncoder {
  readonly dim: number;
  constructor(
    readonly queryEncoder: Tower,
    readonly docEncoder: Tower,
  ) {
    super();
    if (queryEncoder == null || typeof queryEncoder.embed !== 'function') throw invalidArgument('queryEncoder', 'a tower with embed(batch)', queryEncoder);
    if (docEncoder == null || typeof docEncoder.embed !== 'function') throw invalidArgument('docEncoder', 'a tower with embed(batch)', docEncoder);
    if (queryEncoder.dim !== docEncoder.dim) {
      throw new LibvqError('DIMENSION_MISMATCH', `Encoder: query tower gives ${queryEncoder.dim}-d embeddings, doc tower ${docEncoder.dim}-d; both must match`);
    }
    this.dim = queryEncoder.dim;
  }
  queryEmb(batch: TokenBatch): Promise<Matrix> {
    return this.queryEncoder.embed(batch);
  }
  docEmb(batch: TokenBatch): Promise<Matrix> {
    return this.docEncoder.embed(batch);
  }
  override async dispose(): Promise<void> {
    await this.queryEncoder.dispose?.();
    if (this.docEncoder !== this.queryEncoder) await this.docEncoder.dispose?.();
  }
  override describe(): string {
    const q = this.queryEncoder.describe?.() ?? 'custom';
    const d = this.docEncoder.describe?.() ?? 'custom';
    return q === d && this.queryEncoder === this.docEncoder ? q : `query=${q};doc=${d}`;
  }
  override pooling(): string {
    return this.docEncoder.pooling?.() ?? 'unknown';
  }
  override normalized(): boolean {
    return (this.queryEncoder.normalized?.() ?? false) && (this.docEncoder.normalized?.() ?? false);
  }
}
