// Side by side (1 of 3), libvq-ts: an IVF-PQ index over base.npy with ids of our own, searched, saved as a .faiss
// file, loaded back and searched again. faiss_python.py and lancedb.ts do the same job on the same files;
// apps/cli/test/side-by-side.test.ts runs all three. Usage: libvq.ts DATA_DIR OUT_DIR (DATA_DIR: base.npy, queries.npy).
import { join } from 'node:path';
import { readVectors } from '@libvq/dataset';
import { IndexFlat, indexFactory, readIndex, writeIndex, type SearchResult } from '@libvq/index-core';

const [data, out] = process.argv.slice(2);
const x = (await readVectors(join(data, 'base.npy'))).matrix; // { rows, dim, data: Float32Array }
const q = (await readVectors(join(data, 'queries.npy'))).matrix;
const ids = Float64Array.from({ length: x.rows }, (_, i) => 1000 + i); // any integers below 2^53

const index = indexFactory(x.dim, 'IVF64,PQ8x8', 'l2');
await index.train(x, { seed: 1234 });
await index.addWithIds(x, ids);
const found = await index.search(q, { k: 10, nprobe: 8 });
await writeIndex(index, join(out, 'libvq.faiss'));
const loaded = await readIndex(join(out, 'libvq.faiss'));
const again = await loaded.search(q, { k: 10, nprobe: 8 });

// Brute force over the same ids: the exact answer the compressed index is measured against.
const flat = new IndexFlat(x.dim, 'l2');
await flat.addWithIds(x, ids);
const exact = await flat.search(q, { k: 10 });

// toArray(): per query, [{ id, score }, ...] best first.
const top10 = (r: SearchResult) => r.toArray().map((hits) => hits.map((h) => h.id));
console.log(JSON.stringify({ ivfpq: top10(found), reloaded: top10(again), exact: top10(exact) }));
