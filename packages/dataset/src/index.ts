// @libvq/dataset: LibVQ's raw data -> Arrow, the Arrow schemas (the contract between packages), vector
// files (.arrow/.npy/.fvecs/.memmap), preprocessing, training-example sampling and evaluation metrics.
export { writeAtomic, writeFileAtomic } from './io/atomic-file.js';
export * from './arrow/columns.js';
export * from './arrow/batch.js';
export * from './arrow/schema-check.js';
export * from './arrow/ipc.js';
export * from './arrow/embeddings.js';
export * from './vectors/npy.js';
export * from './vectors/fvecs.js';
export * from './vectors/memmap.js';
export * from './vectors/vector-files.js';
export * from './tokenize/text-tokenizer.js';
export * from './tokenize/truncate.js';
