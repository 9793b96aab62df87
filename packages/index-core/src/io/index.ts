export { readIndex, deserializeIndex, type ReadIndexOptions } from './read-index.js';
export { writeIndex, serializeIndex } from './write-index.js';
export { packCodes, unpackCodes, packedCodeSize } from './pq-codes.js';
export { temporarySibling, removeStaleTemporaries, STALE_TEMPORARY_MIN_AGE_MS, type RemoveStaleOptions } from './temp-files.js';
