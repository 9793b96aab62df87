// LibVQ step 2: construct the index (an unsupervised OPQ index, faiss's algorithm, trained on the documents).
import { join } from 'node:path';
import { readVectors } from '@libvq/dataset';
import { writeIndex } from '@libvq/index-core';
import { LearnableIndex } from '@libvq/train';
import { PRE, WORK } from './paths.js';

const docs = (await readVectors(join(PRE, 'docs.embeddings.arrow'))).matrix;
const index = LearnableIndex.create({ docEmbeddings: docs, indexMethod: 'opq', subvectorNum: 10, subvectorBits: 8, distMode: 'ip', seed: 1 });
await writeIndex(index.index, join(WORK, 'opq.faiss')); // faiss.read_index() reads it
console.log(`${index.describe()}: ${index.ntotal} documents -> ${join(WORK, 'opq.faiss')}`);
