// An index from faiss, trained here, given back to faiss. Needs Python with faiss (Debian: python3-faiss).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readVectors, writeVectors } from '@libvq/dataset';
import { readIndex, writeIndex } from '@libvq/index-core';
import { LearnableIndex } from '@libvq/train';
import { PRE, WORK } from './paths.js';

const python = process.env.FAISS_PYTHON ?? '/usr/bin/python3';
const docsNpy = join(WORK, 'docs.npy');
const fromFaiss = join(WORK, 'from-faiss.faiss');
const backToFaiss = join(WORK, 'back-to-faiss.faiss');
const docs = (await readVectors(join(PRE, 'docs.embeddings.arrow'))).matrix;
const queries = (await readVectors(join(PRE, 'train-queries.embeddings.arrow'))).matrix;
await writeVectors(docsNpy, docs);

// 1. faiss builds and writes an index (4-bit codes: a few hundred documents are too few to train 256 codewords).
execFileSync(python, ['-c', `
import faiss, numpy as np
x = np.load(${JSON.stringify(docsNpy)})
index = faiss.index_factory(x.shape[1], "OPQ10,PQ10x4", faiss.METRIC_INNER_PRODUCT)
index.train(x); index.add(x)
faiss.write_index(index, ${JSON.stringify(fromFaiss)})`]);

// 2. Read it here, train it (distillation, virtual labels), write it back in faiss's format.
const learnable = new LearnableIndex(await readIndex(fromFaiss));
await learnable.fit({ docEmbeddings: docs, queryEmbeddings: queries, relData: null, lossMethod: 'distill', docScope: 'corpus', temperature: 'auto', epochs: 2, lr: { codebooks: 1e-3 }, seed: 3 });
await writeIndex(learnable.index, backToFaiss);

// 3. faiss serves the trained index: its top-10 must be ours.
const ours = (await learnable.search(docs, { k: 10 })).labels;
const theirs = execFileSync(python, ['-c', `
import faiss, numpy as np
index = faiss.read_index(${JSON.stringify(backToFaiss)})
_, I = index.search(np.load(${JSON.stringify(docsNpy)}), 10)
print(" ".join(map(str, I.ravel())))`]).toString().trim().split(' ').map(Number);
const same = theirs.filter((v, i) => v === ours[i]).length / ours.length;
console.log(`faiss and libvq-ts agree on ${(same * 100).toFixed(2)}% of the top-10 ids of ${docs.rows} queries`);
if (same < 0.99) throw new Error('faiss disagrees with the index written here');
