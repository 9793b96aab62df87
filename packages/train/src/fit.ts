// @libvq/train/fit: the training loop below LearnableIndex (for a custom write-back or custom towers): the index's
// learnable parameters, the loop over index parameters and tower hooks, virtual labels and batch sampling.
export { inspectIndex, readAssignments, type IndexParts } from './learnable/structure.js';
export { fitIndexParams, fitWithQueryTower, fitWithTowers, type QueryTowerHook, type TowerHook, type TowerHooks, type IndexFitOptions } from './learnable/fit.js';
export { BatchSampler, checkRelData, type SampledBatch } from './learnable/labels.js';
export {
  virtualLabels, exactVirtualLabels, mineVirtualLabels, labelsFromRanking, calibrateLabelNprobe, labelAgreement, describeLabelMining, LABEL_POSITIVE_AGREEMENT, LABEL_RECALL,
  type VirtualLabels, type LabelMiningOptions, type LabelMiningReport, type LabelCalibration,
} from './learnable/virtual-labels.js';
export { exactTopK, type ExactTopKOptions } from './learnable/exact-top-k.js';
export type { ResolvedFitOptions } from './learnable/fit-options.js';
export { planTraining, CORPUS_SCOPE_MAX_DOCUMENTS, type TrainingPlan, type TrainingPlanInput } from './learnable/training-plan.js';
export { readRankingFile, writeRankingFile, encodeRanking, decodeRanking, type Ranking } from './learnable/ranking-file.js';
