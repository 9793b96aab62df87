// @libvq/train/optim: the optimizers and schedule training uses (AdamW, SGD on touched rows, the Cayley
// rotation optimizer that keeps OPQ orthonormal, linear warm-up and decay).
export { linearWarmupDecay } from './schedule.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { sgdStepRows, gatherGradRows } from './sgd.js';
export { cayleyRetract, orthogonalityError, reorthonormalize, solveInPlace, RotationOptimizer, type RotationOptimizerOptions } from './cayley.js';
