// @libvq/train: LibVQ's learnable indexes. An index-core index (ivf, ivf_pq, ivf_opq, pq, opq) whose centroids,
// codebooks and rotation are trained by distilling the dense ranking or by a contrastive loss, alone or jointly
// with the query / document towers; checkpoints; the LibVQ method names. The pieces below are on subpaths:
// @libvq/train/fit (the loop), /grad (gradients), /optim (optimizers), /tower (towers), /checkpoint (file format).
export { LearnableIndex, type CreateLearnableIndexOptions, type CreateFromSourceOptions, type LearnableFitOptions } from './learnable/learnable-index.js';
export type { LearnableMethod } from './learnable/structure.js';
export { LearnableIndexWithEncoder, type CreateWithEncoderOptions, type WithEncoderFitOptions, type WithEncoderFitReport, type FixEmb } from './learnable/with-encoder.js';
export type { FitReport } from './learnable/fit.js';
export { DEFAULT_LR, resolveFitOptions, type WriteBack } from './learnable/fit-options.js';
export type { RelData } from './learnable/labels.js';
export { methodToFactory, type IndexMethod } from './learnable/methods.js';
export { autoTemperature, parseTemperature } from './learnable/auto-temperature.js';
export { saveLearnableIndex, loadLearnableIndex, saveTrainCheckpoint, loadTrainCheckpoint } from './learnable/persist.js';
export { readManifest, type CheckpointManifest } from './checkpoint/learnable-checkpoint.js';
export type { TrainState } from './checkpoint/train-state.js';
export type { TrainableTower } from './tower/types.js';
export { EmbeddingBagTower } from './tower/embedding-bag-tower.js';
export { HeadTower } from './tower/head-tower.js';
export { TransformerTower, type TrainLayers } from './tower/transformer-tower.js';
export { embedTokenRows, tokenRowsOf, type QueryTokens } from './tower/embed-tokens.js';
export { compareQuantizers, type CompareMethod, type CompareRow, type CompareOptions } from './experiment/compare-quantizers.js';
