// Side by side (3 of 3), LanceDB (@lancedb/lancedb): the job of libvq.ts on the same files. LanceDB indexes a
// table's column, so the rows (id, vector) are written first and the IVF-PQ index is trained on them; the table
// is its own save. Usage: lancedb.ts DATA_DIR OUT_DIR (DATA_DIR: base.npy, queries.npy).
import { join } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { readVectors } from '@libvq/dataset';

const [data, out] = process.argv.slice(2);
const x = (await readVectors(join(data, 'base.npy'))).matrix; // the .npy reader of libvq: Node has no numpy
const q = (await readVectors(join(data, 'queries.npy'))).matrix;
const rows = Array.from({ length: x.rows }, (_, i) => ({ id: 1000 + i, vector: Array.from(x.data.subarray(i * x.dim, (i + 1) * x.dim)) }));

const db = await lancedb.connect(join(out, 'lancedb'));
const table = await db.createTable('vectors', rows);
await table.createIndex('vector', { config: lancedb.Index.ivfPq({ numPartitions: 64, numSubVectors: 8, distanceType: 'l2' }) });
const found = await top10((v) => table.vectorSearch(v).nprobes(8).limit(10));
const loaded = await (await lancedb.connect(join(out, 'lancedb'))).openTable('vectors');
const again = await top10((v) => loaded.vectorSearch(v).nprobes(8).limit(10));

// Brute force over the same rows (the index bypassed): the exact answer the compressed index is measured against.
const exact = await top10((v) => table.vectorSearch(v).bypassVectorIndex().limit(10));
console.log(JSON.stringify({ ivfpq: found, reloaded: again, exact }));

/** Every query's top-10 ids, one query per call (addQueryVector would batch them, each row then tagged query_index). */
async function top10(search: (v: Float32Array) => lancedb.VectorQuery): Promise<number[][]> {
  const result: number[][] = [];
  for (let i = 0; i < q.rows; i++) {
    const hits = await search(q.data.subarray(i * q.dim, (i + 1) * q.dim)).toArray();
    result.push(hits.map((h) => h.id as number));
  }
  return result;
}
