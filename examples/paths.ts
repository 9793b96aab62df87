import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Every example takes the same two arguments: a LibVQ-layout data directory (default: Cranfield, shipped in
// apps/cli/data) and a work directory the steps hand their files through (default: examples-out).
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DATA = resolve(process.argv[2] ?? join(repo, 'apps', 'cli', 'data', 'cranfield'));
export const WORK = resolve(process.argv[3] ?? join(repo, 'examples-out'));
export const PRE = join(WORK, 'preprocessed'); // step 1: tokens, id maps, rels, embeddings
