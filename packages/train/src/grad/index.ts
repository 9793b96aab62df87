export * from './types.js';
export { scoreRows, scoreRowsBackward } from './score.js';
export { contrasLoss, distillLoss } from './loss.js';
export { rotateRows, rotateRowsBackward } from './rotate.js';
export { pqAssign, pqDecodeAdd, pqBackwardST, pqBackwardFixed } from './pq-st.js';
export { forwardBatch, backwardBatch, totalLoss, type BatchForward } from './batch.js';
export { LossWeighting, type LossWeightSpec, type LossWeightOptions } from './weights.js';
