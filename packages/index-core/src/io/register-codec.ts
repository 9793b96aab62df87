// Registers the faiss reader and writer as the indexes' codec (indexes/index-codec.ts): loaded by the main entry
// and by the worker entry, so asynchronous training can hand an index to a worker and take it back.
import { registerIndexCodec } from '../indexes/index-codec.js';
import { deserializeIndex } from './read-index.js';
import { serializeIndex } from './write-index.js';

registerIndexCodec({ serialize: serializeIndex, deserialize: (bytes) => deserializeIndex(bytes) });
