export { loadGloveVectors, gloveWordIndex, type GloveVectors, type GloveSourceOptions } from './load-vectors.js';
export { gloveAnnSet, type GloveAnnSet, type GloveAnnSetOptions, type GlovePhase } from './ann-set.js';
export { exactInnerProductTopK, type ExactTopK, type ExactTopKOptions } from './exact-search.js';
export { readWinkJson, type ReadWinkJsonOptions } from './read-wink-json.js';
export type { WinkEmbeddings } from './wink-json-scanner.js';
export { resolveCacheDir } from './paths.js';
