/**
 * `@libvq/index-core/gpujs`: makes gpu.js backends with your own options (mode, minWork, maxOutput). A
 * subpath, so the main entry's API does not carry an optional dependency's names. Neither entry loads gpu.js
 * (an optional peer dependency) on import: the first createGpujsBackend call requires it, and
 * `getBackend('gpujs')` on the main entry makes one with the default options the same way.
 */
export { createGpujsBackend, type GpujsBackend, type GpujsBackendOptions, type GpujsMode, type GpujsModeOption } from './backend/gpujs/index.js';
