export { readIndex, deserializeIndex, type ReadIndexOptions } from './read-index.js';
export { writeIndex, serializeIndex } from './write-index.js';
export { packCodes, unpackCodes, packedCodeSize } from './pq-codes.js';
