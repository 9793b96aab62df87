// @libvq/index-core/backend: the kernel interface every backend implements (one kernel per file in each backend's
// folder), the registry the indexes look backends up in, and the plain-TypeScript backend. Run the conformance
// suite (@libvq/index-core/testing) on a backend you register.
export type { Backend, KnnResult, ListView, PackedLists, Pq4Luts, Pq4Probes, Pq4Result, Probes } from './backend/types.js';
export { getBackend, registerBackend } from './backend/registry.js';
export { jsBackend } from './backend/js/index.js';
export { InvertedLists } from './indexes/inverted-lists.js';
export { TopK } from './topk.js';
