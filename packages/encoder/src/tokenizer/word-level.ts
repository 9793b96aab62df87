import { invalidArgument } from '@libvq/index-core/util';

export interface WordLevelSpec {
  /** Words in id order after the special tokens. */
  words: readonly string[];
  /** Lower-case the text first (default true). */
  lowercase?: boolean;
  /** Tokens are the matches of this regex (Oniguruma/JS syntax), everything else is dropped. Default "[a-z0-9]+". */
  tokenPattern?: string;
  padToken?: string;
  unkToken?: string;
}

/**
 * A Hugging Face tokenizer.json for a word-level vocabulary: [PAD] = 0, [UNK] = 1, then the words.
 * Tokens are the runs matched by tokenPattern (a Split pre-tokenizer with invert: the matches are kept,
 * the rest removed), so both the Rust library and @huggingface/tokenizers read it the same way.
 * The pad and unknown tokens are not "added tokens": literal "[PAD]" in a text is just the word "pad".
 */
export function wordLevelTokenizerJson(spec: WordLevelSpec): Record<string, unknown> {
  const pad = spec.padToken ?? '[PAD]';
  const unk = spec.unkToken ?? '[UNK]';
  const vocab: Record<string, number> = Object.create(null) as Record<string, number>;
  vocab[pad] = 0;
  vocab[unk] = 1;
  let next = 2;
  for (const w of spec.words) {
    if (typeof w !== 'string' || w.length === 0) throw invalidArgument(`words[${next - 2}]`, 'a non-empty string', w);
    if (w in vocab) throw invalidArgument(`words[${next - 2}]`, 'a word not already in the vocabulary', w);
    vocab[w] = next++;
  }
  return {
    version: '1.0',
    truncation: null,
    padding: { strategy: 'BatchLongest', direction: 'Right', pad_to_multiple_of: null, pad_id: 0, pad_type_id: 0, pad_token: pad },
    added_tokens: [],
    normalizer: spec.lowercase === false ? null : { type: 'Lowercase' },
    pre_tokenizer: { type: 'Split', pattern: { Regex: spec.tokenPattern ?? '[a-z0-9]+' }, behavior: 'Removed', invert: true },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: unk },
  };
}
