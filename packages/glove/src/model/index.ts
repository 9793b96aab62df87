export { bagOfWordsGraph } from './bow-graph.js';
export {
  GLOVE100_FORMAT_VERSION,
  GLOVE100_MODEL_NAME,
  GLOVE100_TOKEN_PATTERN,
  ensureGlove100Model,
  loadGlove100Encoder,
  type EnsureGlove100Options,
  type GloveWordVectors,
  type LoadGlove100Options,
} from './glove100.js';
