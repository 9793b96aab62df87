export { bagOfWordsGraph } from './bow-graph.js';
export {
  GLOVE100_MODEL_NAME,
  ensureGlove100Model,
  loadGlove100Encoder,
  type EnsureGlove100Options,
  type LoadGlove100Options,
} from './glove100.js';
export { loadGlove100Table, type GloveWordVectors } from './glove100-table.js';
