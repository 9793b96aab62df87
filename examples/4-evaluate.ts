// LibVQ step 4: update the query embeddings with the trained encoder and test (MRR@10, R@100, nDCG@10).
import { join } from 'node:path';
import { evaluateRanking, readIdMap, readRelsTable, readTokens, readVectors, relsPath, relsToOffsets } from '@libvq/dataset';
import { loadGlove100Encoder, loadGlove100Table } from '@libvq/glove';
import { IndexFlat, readIndex } from '@libvq/index-core';
import { EmbeddingBagTower, LearnableIndexWithEncoder } from '@libvq/train';
import { PRE, WORK } from './paths.js';

const encoder = await loadGlove100Encoder();
// The trained query tower's parameters are loaded into a tower built like the saved one.
const table = await loadGlove100Table();
const model = LearnableIndexWithEncoder.load(join(WORK, 'trained'), { encoder, queryTower: new EmbeddingBagTower(table.data, table.dim, { name: 'glove-100-trainable' }) });
const queries = await model.encodeTokens(await readTokens(PRE, 'dev-queries'), { maxQueryLength: 64 });
const rels = relsToOffsets(await readRelsTable(relsPath(PRE, 'dev')), await readIdMap(PRE, 'dev-queries'), await readIdMap(PRE, 'docs'));

const score = (labels: Float64Array) => evaluateRanking({ labels, k: 100 }, rels, { mrr: [10], recall: [100], ndcg: [10] });
const docs = (await readVectors(join(PRE, 'docs.embeddings.arrow'))).matrix;
const oldQueries = (await readVectors(join(PRE, 'dev-queries.embeddings.arrow'))).matrix;
const dense = new IndexFlat(docs.dim, 'ip');
await dense.add(docs);
for (const [name, labels] of [
  ['dense', (await dense.search(oldQueries, { k: 100 })).labels],
  ['OPQ (step 2)', (await (await readIndex(join(WORK, 'opq.faiss'))).search(oldQueries, { k: 100 })).labels],
  ['learned (step 3)', (await model.search(queries, { k: 100 })).labels],
] as const) {
  const e = score(labels);
  console.log(`${name}: MRR@10 ${e.mrr[10].toFixed(3)}  R@100 ${e.recall[100].toFixed(3)}  nDCG@10 ${e.ndcg[10].toFixed(3)}`);
}
await encoder.dispose();
