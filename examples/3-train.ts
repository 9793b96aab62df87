// LibVQ step 3: train the index and the query encoder (distillation from the dense ranking, virtual labels).
import { join } from 'node:path';
import { readTokens, readVectors } from '@libvq/dataset';
import { loadGlove100Encoder, loadGlove100Table } from '@libvq/glove';
import { readIndex } from '@libvq/index-core';
import { EmbeddingBagTower, LearnableIndex, LearnableIndexWithEncoder } from '@libvq/train';
import { PRE, WORK } from './paths.js';

const docs = (await readVectors(join(PRE, 'docs.embeddings.arrow'))).matrix;
const queries = (await readVectors(join(PRE, 'train-queries.embeddings.arrow'))).matrix;
const encoder = await loadGlove100Encoder();
const table = await loadGlove100Table(); // the model's word vectors: its ONNX initializer
const queryTower = new EmbeddingBagTower(table.data, table.dim, { name: 'glove-100-trainable' }); // the same model in TypeScript, with gradients
const model = new LearnableIndexWithEncoder(new LearnableIndex(await readIndex(join(WORK, 'opq.faiss'))), encoder, queryTower);
const report = await model.fit({
  docEmbeddings: docs,
  queryEmbeddings: queries, // the teacher: the untrained encoder's query embeddings
  queryTokens: await readTokens(PRE, 'train-queries'),
  maxQueryLength: 64,
  relData: null, // no labels: positives and negatives come from the initial index's ranking
  lossMethod: 'distill',
  fixEmb: 'doc', // documents keep their embeddings; the query tower and the index train
  docScope: 'corpus',
  temperature: 'auto', // fitted to the teacher's score spread (GloVe's top-100 scores lie within ~0.02)
  epochs: 3,
  lr: { codebooks: 1e-3 },
  seed: 3,
  onProgress: (done, total) => process.stderr.write(`\rtraining ${done}/${total}`),
});
model.save(join(WORK, 'trained')); // index.faiss + tensors + query-tower.safetensors + manifest.json
console.log(`\n${report.steps} steps, loss ${report.epochLoss[0].toFixed(4)} -> ${report.epochLoss.at(-1)!.toFixed(4)}`);
await encoder.dispose();
