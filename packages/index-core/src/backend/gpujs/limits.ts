/**
 * Sizes every gpujs kernel call stays within.
 *
 * gpu.js on WebGL computes array indices in float32, exact only below 2^24, so no argument a kernel indexes
 * may hold more elements than that; outputs are bounded so one call's result stays a modest allocation
 * and a 2-D output fits the texture size every desktop GPU supports.
 */
export const MAX_ELEMENTS = 1 << 24;
/** Default cells (float32) in one kernel output: 16 MiB. */
export const DEFAULT_MAX_OUTPUT = 1 << 22;
/** Width and height of a 2-D output. */
export const MAX_SIDE = 4096;

/**
 * Default work threshold, in multiply-adds or table look-ups per kernel call: below it a call runs on the
 * js backend, where a few milliseconds of work would not pay for gpu.js's per-call overhead (uploads,
 * output allocation, and in mode 'gpu' the GL round trip).
 */
export const DEFAULT_MIN_WORK = 1 << 22;
