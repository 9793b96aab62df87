/**
 * `@libvq/index-core/testing`: the backend conformance suite and its float64 reference math, for checking a
 * backend — index-core's own or one registered from outside — in any test runner.
 */
export { backendConformanceCases, checkBackend } from './conformance.js';
export { ConformanceError } from './check.js';
export { randomData, rankBestFirst, refKnn, refPairScore, refScore, type Scored } from './reference.js';
export type { ConformanceCase, ConformanceOptions, ConformanceReport } from './types.js';
