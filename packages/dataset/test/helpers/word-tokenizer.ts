import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import type { TextTokenizer } from '../../src/tokens.js';

/**
 * A small real tokenizer for tests: a BERT-style WordLevel tokenizer.json ([PAD]=0, [UNK]=1, [CLS]=2,
 * [SEP]=3, then the words; lower-cased, words are runs of [a-z0-9], template [CLS] $A [SEP]) run by
 * @huggingface/tokenizers, wrapped as a TextTokenizer. Worker threads rebuild it through `factory`.
 */
export function wordLevelJson(words: readonly string[]): Record<string, unknown> {
  const vocab: Record<string, number> = { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3 };
  words.forEach((w, i) => (vocab[w] = i + 4));
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '[PAD]'), special(1, '[UNK]'), special(2, '[CLS]'), special(3, '[SEP]')],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Split', pattern: { Regex: '[a-z0-9]+' }, behavior: 'Removed', invert: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
  };
}

export function loadWordTokenizer(jsonPath: string): TextTokenizer {
  const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as Record<string, unknown>;
  const tok = new Tokenizer(json, { unk_token: '[UNK]' });
  const special = new Set([0, 1, 2, 3]);
  return {
    name: 'test-wordlevel',
    separator: '[SEP]',
    isSpecial: (id) => special.has(id),
    encode(text) {
      const ids = tok.encode(text, { add_special_tokens: true }).ids;
      return Int32Array.from(ids, (v) => (typeof v === 'number' ? v : 1));
    },
    factory: { module: new URL(import.meta.url).pathname, exportName: 'loadWordTokenizer', args: [jsonPath] },
  };
}
