export { LearnableIndexWithEncoder, type CreateWithEncoderOptions, type WithEncoderFitOptions, type WithEncoderFitReport, type FixEmb, type QueryTokens } from './with-encoder.js';
export { LearnableIndex, type LearnableMethod, type WriteBack, type CreateLearnableIndexOptions, type LearnableFitOptions } from './learnable-index.js';
export { saveLearnableIndex, loadLearnableIndex, saveTrainCheckpoint, loadTrainCheckpoint } from './persist.js';
export { fitIndexParams, fitWithQueryTower, fitWithTowers, type QueryTowerHook, type TowerHook, type TowerHooks, type IndexFitOptions, type FitReport } from './fit.js';
export { DEFAULT_LR, resolveFitOptions } from './fit-options.js';
export { virtualLabels, BatchSampler, checkRelData, type RelData, type VirtualLabels, type SampledBatch } from './labels.js';
export { methodToFactory, type IndexMethod } from './methods.js';
export { inspectIndex, readAssignments, type IndexParts } from './structure.js';
export { autoTemperature, parseTemperature, type AutoTemperatureOptions } from './auto-temperature.js';
