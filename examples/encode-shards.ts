// The index is also a codec (faiss's sa_encode / add_sa_codes): encode() gives exactly what add() would store,
// so shards can be encoded apart (another thread, process or machine, each with a copy of the trained index)
// and their entries added to one index; the result is the index a single add() builds, byte for byte.
import { join } from 'node:path';
import { readVectors } from '@libvq/dataset';
import { indexFactory, serializeIndex } from '@libvq/index-core';
import { PRE } from './paths.js';

const docs = (await readVectors(join(PRE, 'docs.embeddings.arrow'))).matrix;
const index = indexFactory(docs.dim, 'IVF16,PQ10x8', 'ip');
await index.train(docs, { seed: 1234 });

const worker = index.cloneEmpty(); // a copy of the trained model, holding no vectors
const half = Math.ceil(docs.rows / 2);
for (const [from, to] of [[0, half], [half, docs.rows]]) {
  const shard = { rows: to - from, dim: docs.dim, data: docs.data.subarray(from * docs.dim, to * docs.dim) };
  const entries = worker.encode(shard); // { rows, lists (IVF), codes: rows x codeSize bytes }
  index.addEncoded(entries); // ids continue from ntotal
}

const direct = index.cloneEmpty();
await direct.add(docs);
const same = Buffer.from(serializeIndex(index)).equals(Buffer.from(serializeIndex(direct)));
console.log(`${docs.rows} documents encoded in 2 shards (${index.codeSize} bytes each): ${same ? 'the same bytes as one add()' : 'DIFFERENT bytes'}`);
