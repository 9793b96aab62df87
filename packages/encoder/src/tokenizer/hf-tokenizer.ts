import { LibvqError } from '@libvq/index-core';
import { invalidArgument } from '@libvq/index-core/util';
import { padBatch, type TokenBatch } from '../batch.js';
import { truncateKeepingSpecial, type TextTokenizer, type TokenizerFactory } from '@libvq/dataset/tokens';

/** What the model directory's tokenizer files say beyond the vocabulary (resolved by loadTokenizer). */
export interface HfTokenizerInfo {
  /** A name for metadata (the model directory's base name). */
  name: string;
  padId: number;
  /** Token joining a document's fields ("[SEP]" for BERT); null joins them with a space. */
  separator: string | null;
  /** How a worker thread rebuilds this tokenizer (loadTokenizer on the same directory). */
  factory?: TokenizerFactory;
}

/**
 * A Hugging Face tokenizer.json (through @huggingface/tokenizers, pure JS) with what that library leaves
 * out: truncation that keeps the first and last special token, padding and batching. It is a
 * @libvq/dataset TextTokenizer, so preprocessData can use it (in worker threads through `factory`).
 */
/**
 * The part of @huggingface/tokenizers' Tokenizer that HfTokenizer uses. Declared here, structurally, so the
 * published .d.ts does not import that package's own declarations (which fail a consumer's tsc without
 * skipLibCheck, TS2834); the real Tokenizer satisfies it.
 */
export interface HfTokenizerCore {
  encode(text: string, options: { add_special_tokens: boolean }): { ids: ArrayLike<number | undefined>; tokens: ArrayLike<string> };
  token_to_id(token: string): number | undefined;
  get_vocab(withAddedTokens?: boolean): Map<string, number>;
  get_added_tokens_decoder(): Map<number, { special: boolean }>;
}

export class HfTokenizer implements TextTokenizer {
  readonly name: string;
  readonly padId: number;
  readonly separator: string | null;
  readonly factory: TokenizerFactory | undefined;
  private readonly specialIds: Set<number>;

  constructor(
    private readonly tokenizer: HfTokenizerCore,
    info: HfTokenizerInfo,
  ) {
    this.name = info.name;
    this.padId = info.padId;
    this.separator = info.separator;
    this.factory = info.factory;
    this.specialIds = new Set();
    for (const [id, tok] of tokenizer.get_added_tokens_decoder()) if (tok.special) this.specialIds.add(id);
  }

  /** Number of ids the vocabulary holds (added tokens included). */
  get vocabSize(): number {
    return this.tokenizer.get_vocab(true).size;
  }

  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  tokenToId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  /** Token ids of one text, with the model's special tokens, truncated to maxLength if given. */
  encode(text: string, maxLength?: number): Int32Array {
    if (typeof text !== 'string') throw invalidArgument('text', 'a string', text);
    const enc = this.tokenizer.encode(text, { add_special_tokens: true });
    const ids = new Int32Array(enc.ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = enc.ids[i];
      // A WordLevel vocabulary without an unknown token maps unseen words to undefined: refuse rather than
      // feed 0 (often the pad id) to the model.
      if (typeof id !== 'number' || !Number.isInteger(id)) {
        throw new LibvqError('INVALID_ARGUMENT', `tokenizer ${this.name}: token ${JSON.stringify(enc.tokens[i])} has no id and the vocabulary has no unknown token`);
      }
      ids[i] = id;
    }
    return maxLength === undefined ? ids : truncateKeepingSpecial(ids, maxLength, (id) => this.specialIds.has(id));
  }

  /** Tokenizes, truncates and pads texts into one batch. */
  encodeBatch(texts: readonly string[], maxLength: number): TokenBatch {
    return padBatch(texts.map((t) => this.encode(t, maxLength)), this.padId, maxLength);
  }
}
