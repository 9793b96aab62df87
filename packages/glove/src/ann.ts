// @libvq/glove/ann: the GloVe-100 ANN benchmark set (base / queries / exact ground truth) and the exact top-k search
// it is scored with. Used by the benchmarks and `libvq demo --ann`; not part of the main entry.
export { gloveAnnSet, type GloveAnnSet, type GloveAnnSetOptions } from './vectors/ann-set.js';
export { exactInnerProductTopK, type ExactTopK } from './vectors/exact-search.js';
