import { LibvqError } from '../errors.js';
import type { Index } from './index.js';

/**
 * The faiss-format codec, as the indexes see it. The readers and writers import every index class, so the
 * classes cannot import them back; io/register-codec.ts registers them here (the main entry and the worker
 * entry load it). Used to hand an index to a worker thread for training and take the trained copy back.
 */
export interface IndexCodec {
  serialize(index: Index): Uint8Array;
  deserialize(bytes: Uint8Array): Index;
}

let codec: IndexCodec | undefined;

export function registerIndexCodec(c: IndexCodec): void {
  codec = c;
}

export function indexCodec(): IndexCodec {
  if (codec === undefined) throw new LibvqError('INTERNAL', 'the faiss codec is not loaded (import @libvq/index-core, not a module inside it)');
  return codec;
}
