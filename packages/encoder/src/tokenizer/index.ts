export { HfTokenizer, type HfTokenizerCore, type HfTokenizerInfo } from './hf-tokenizer.js';
export { loadTokenizer } from './load.js';
export { wordLevelTokenizerJson, type WordLevelSpec } from './word-level.js';
