// LibVQ step 5: save and load. A trained checkpoint's index.faiss is a plain faiss index: load it here (or
// in Python with faiss.read_index), search it, write it again; the checkpoint reloads with its training state.
import { join } from 'node:path';
import { readVectors } from '@libvq/dataset';
import { readIndex, writeIndex } from '@libvq/index-core';
import { LearnableIndex } from '@libvq/train';
import { PRE, WORK } from './paths.js';

const learned = LearnableIndex.load(join(WORK, 'trained')); // verifies the manifest's sizes and sha256
const plain = await readIndex(join(WORK, 'trained', 'index.faiss')); // just the index, as faiss sees it
const queries = (await readVectors(join(PRE, 'dev-queries.embeddings.arrow'))).matrix;
const a = (await learned.search(queries, { k: 10 })).labels;
const b = (await plain.search(queries, { k: 10 })).labels;
if (a.some((v, i) => v !== b[i])) throw new Error('the checkpoint and its index.faiss disagree');
await writeIndex(plain, join(WORK, 'learned-opq.faiss'));
console.log(`${learned.describe()}: checkpoint and index.faiss give the same top-10 for ${queries.rows} queries -> ${join(WORK, 'learned-opq.faiss')}`);
