// @libvq/dataset/tokens: the tokenizer contract preprocessing runs on (a tokenizer package implements it) and
// the token streams of a preprocessed directory.
export { joinFields, type TextTokenizer, type TokenizerFactory } from './tokenize/text-tokenizer.js';
export { truncateKeepingSpecial } from './tokenize/truncate.js';
export { streamTokens } from './preprocess/layout.js';
