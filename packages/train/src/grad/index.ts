// @libvq/train/grad: the differentiable pieces of LibVQ's training, each checked against finite differences:
// scores, losses, the rotation, PQ's straight-through estimator, and one batch's forward / backward.
export type {
  Floats, RotationParam, CentroidsParam, CodebooksParam, QuantParams, TrainBatch, LossMethod, BatchOptions, LossWeights, GradNeeds, BatchGrads,
} from './types.js';
export { scoreRows, scoreRowsBackward } from './score.js';
export { contrasLoss, distillLoss } from './loss.js';
export { rotateRows, rotateRowsBackward } from './rotate.js';
export { pqAssign, pqDecodeAdd, pqBackwardST, pqBackwardFixed } from './pq-st.js';
export { forwardBatch, backwardBatch, totalLoss, type BatchForward } from './batch.js';
export { LossWeighting, type LossWeightSpec, type LossWeightOptions } from './weights.js';
