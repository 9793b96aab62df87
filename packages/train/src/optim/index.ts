export { linearWarmupDecay } from './schedule.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { sgdStepRows, gatherGradRows } from './sgd.js';
export { cayleyRetract, orthogonalityError, reorthonormalize, solveInPlace, RotationOptimizer, type RotationOptimizerOptions } from './cayley.js';
