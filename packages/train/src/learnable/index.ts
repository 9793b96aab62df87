export { LearnableIndexWithEncoder, type CreateWithEncoderOptions, type WithEncoderFitOptions, type WithEncoderFitReport, type FixEmb, type QueryTokens } from './with-encoder.js';
export { LearnableIndex, type LearnableMethod, type WriteBack, type CreateLearnableIndexOptions, type LearnableFitOptions } from './learnable-index.js';
export { saveLearnableIndex, loadLearnableIndex, saveTrainCheckpoint, loadTrainCheckpoint } from './persist.js';
export { fitIndexParams, fitWithQueryTower, fitWithTowers, type QueryTowerHook, type TowerHook, type TowerHooks, DEFAULT_LR, type IndexFitOptions, type FitReport } from './fit.js';
export { virtualLabels, BatchSampler, checkRelData, type RelData, type VirtualLabels, type SampledBatch } from './labels.js';
export { inspectIndex, readAssignments, writeAssignments, type IndexParts, type DocAssignments } from './structure.js';
export { snapshotParts, assignDocs, type AssignSnapshot } from './assigner.js';
export { autoTemperature, parseTemperature, type AutoTemperatureOptions } from './auto-temperature.js';
