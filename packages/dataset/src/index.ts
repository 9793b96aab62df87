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
export * from './arrow/tokens-table.js';
export * from './arrow/ids-table.js';
export * from './arrow/rels-table.js';
export * from './arrow/results-table.js';
export * from './io/lines.js';
export * from './raw/bad-rows.js';
export * from './raw/id-map.js';
export * from './raw/text-records.js';
export * from './raw/rels.js';
export * from './tokenize/build-tokenizer.js';
export * from './tokenize/tokenize-texts.js';
export * from './preprocess/layout.js';
export * from './preprocess/preprocess-data.js';
export { TokenizerPool } from './preprocess/worker-pool.js';
