/**
 * The transformer tower (issue 15): a BERT whose word table is the GloVe-100 vectors and whose residual branches
 * start at zero (bertFromWordVectors: its first output is the normalised mean of the LayerNorm-ed word vectors),
 * trained jointly with the index, against the same index with a linear head over that frozen BERT (onnxruntime),
 * with the GloVe bag-of-words tower (its word vectors train), and alone. Cranfield (dev queries; train queries +
 * title pseudo-queries) or debdesc (dev; 54,894 train queries), PQ / OPQ at each byte budget, distill with virtual
 * labels (or contrastive on the judgments). Writes bench-out/train-transformer-{dataset}.{json,md}.
 *
 *   pnpm bench transformer [--dataset cranfield|debdesc] [--bytes 4,10] [--epochs N] [--layers 2]
 *                          [--train-layers all] [--lr-encoder 1e-4] [--loss distill|contras]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxEncoder } from '@libvq/encoder';
import { readTokens, type OffsetRels } from '@libvq/dataset';
import { ensureGlove100Model, loadGlove100Encoder, loadGlove100Table } from '@libvq/glove';
import type { Matrix } from '@libvq/index-core';
import { EmbeddingBagTower, HeadTower, TransformerTower, compareQuantizers, embedTokenRows, type CompareMethod, type CompareRow, type QueryTokens, type RelData, type TrainLayers, type TrainableTower } from '@libvq/train';
import { planTraining } from '@libvq/train/fit';
import { bertFromWordVectors, loadBertDir, writeBertDir, BertModel } from '@libvq/train/transformer';
import { arg, loadCranfield } from './train-cranfield.js';
import { loadEncoded, positives } from './train-debdesc.js';
import { markdownTable, writeReportFile } from './report.js';

interface Data {
  name: string;
  docs: Matrix;
  trainQ: Matrix;
  trainTokens: QueryTokens;
  devQ: Matrix;
  devTokens: QueryTokens;
  devRels: OffsetRels;
  labels: RelData;
  describe: string;
}

/** The GloVe-initialised BERT as a model directory (built once): glove-100's tokenizer, so its token ids are the table's rows. */
async function gloveBert(dir: string, layers: number): Promise<string> {
  if (existsSync(join(dir, 'model.onnx'))) return dir;
  console.error(`building the GloVe-initialised BERT (${layers} layers) in ${dir}...`);
  const gloveDir = await ensureGlove100Model();
  const { config, weights } = bertFromWordVectors(await loadGlove100Table(), { layers, heads: 4, maxPositions: 128 });
  await writeBertDir(dir, { dir: gloveDir, config, weights, onnx: null, hfConfig: {}, verifiedMaxAbs: null }, weights);
  return dir;
}

async function cranfield(): Promise<Data> {
  const maxQ = 64;
  const c = await loadCranfield(join(process.cwd(), 'apps', 'cli', 'data', 'cranfield'), maxQ);
  await c.enc.dispose();
  return {
    name: 'cranfield', docs: c.docs, trainQ: c.trainQ, trainTokens: c.trainTokens, devQ: c.devQ, devTokens: c.devTokens, devRels: c.dev.rels, labels: c.labels,
    describe: `Cranfield (${c.docs.rows} documents), ${c.dev.rels.size} judged dev queries; training: ${c.train.texts.length} train queries + ${c.coll.length} title pseudo-queries`,
  };
}

async function debdesc(): Promise<Data> {
  const work = join('bench-out', 'debdesc-work');
  const e = await loadEncoded(join(process.cwd(), '..', 'shared', 'data', 'debdesc'), work);
  return {
    name: 'debdesc', docs: e.docs, trainQ: e.train, trainTokens: await readTokens(work, 'train-queries'), devQ: e.dev, devTokens: await readTokens(work, 'dev-queries'), devRels: e.devRels,
    labels: positives(e.trainRels), describe: `debdesc (${e.docs.rows} documents), ${e.devRels.size} judged dev queries; training: ${e.train.rows} train queries`,
  };
}

function meanCosine(a: Matrix, b: Matrix): number {
  let s = 0;
  for (let i = 0; i < a.rows; i++) {
    let dot = 0, na = 0, nb = 0;
    for (let j = 0; j < a.dim; j++) {
      const x = a.data[i * a.dim + j], y = b.data[i * b.dim + j];
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
    s += na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
  }
  return s / a.rows;
}

export async function main(argv: string[]): Promise<void> {
  const dataset = arg(argv, '--dataset') ?? 'cranfield';
  const out = arg(argv, '--out') ?? 'bench-out';
  const bytes = (arg(argv, '--bytes') ?? '4,10').split(',').map(Number);
  const layers = Number(arg(argv, '--layers') ?? 2);
  const trainLayers = (arg(argv, '--train-layers') ?? 'all') as TrainLayers;
  const lrEncoder = Number(arg(argv, '--lr-encoder') ?? 1e-4);
  const loss = (arg(argv, '--loss') ?? 'distill') as 'distill' | 'contras';
  const t0 = performance.now();
  const data = dataset === 'debdesc' ? await debdesc() : dataset === 'cranfield' ? await cranfield() : null;
  if (!data) throw new Error(`--dataset: cranfield or debdesc, got ${dataset}`);
  const epochs = Number(arg(argv, '--epochs') ?? (dataset === 'debdesc' ? 2 : 10));
  const bertDir = await gloveBert(join(out, `glove-bert-${layers}l`), layers);
  const src = await loadBertDir(bertDir);
  console.error(`GloVe-BERT ${layers}x${src.config.hidden}: onnxruntime vs TypeScript forward ${src.verifiedMaxAbs!.toExponential(1)} (max abs, probe batch)`);
  const bertInit = new BertModel(src.config, src.weights, new Set());
  // How close the untrained BERT is to the bag of words it was built from (the dev queries' embeddings).
  const initDev = await embedTokenRows({ dim: src.config.hidden, embed: async (b) => ({ rows: b.batchSize, dim: src.config.hidden, data: Float32Array.from(bertInit.embed64(b)) }) }, data.devTokens, { maxQueryLength: 64 });
  const cosInit = meanCosine(initDev, data.devQ);
  console.error(`untrained GloVe-BERT vs glove-100 on the dev queries: mean cosine ${cosInit.toFixed(4)}`);

  const glove = await loadGlove100Encoder();
  const table = await loadGlove100Table();
  const makeTransformer = await TransformerTower.factory(bertDir, { trainLayers, lr: lrEncoder });
  const frozenBert = await OnnxEncoder.fromPretrained(bertDir);
  const towers: Array<[string, () => TrainableTower]> = [
    ['GloVe tower (word vectors train)', () => new EmbeddingBagTower(Float32Array.from(table.data), table.dim, { name: 'glove-100-trainable', lrEmbeddings: 1e-3 })],
    ['linear head over the frozen GloVe-BERT (onnxruntime)', () => new HeadTower(frozenBert, { lr: 1e-3 })],
    [`GloVe-BERT transformer tower (${trainLayers}, lr ${lrEncoder})`, makeTransformer],
  ];
  const plan = planTraining({ documents: data.docs.rows, trainingQueries: data.trainQ.rows, epochs });
  console.error(`plan: ${plan.reasons.join('; ')}`);
  const indexMethod: CompareMethod = loss === 'distill' ? 'distill-index' : 'contras-index';
  const towerMethod: CompareMethod = loss === 'distill' ? 'distill-encoder' : 'contras-encoder';
  const rows: Array<CompareRow & { tower: string }> = [];
  const log = (r: CompareRow, tower: string) => console.error(`${r.bytes} B  ${tower.padEnd(52)} MRR@10 ${r.mrr10.toFixed(3)}  R@100 ${r.recall100.toFixed(3)}${r.trainSeconds !== null ? `  ${r.trainSeconds.toFixed(1)} s` : ''}`);
  const input = { docs: data.docs, trainQueries: data.trainQ, trainTokens: data.trainTokens, devQueries: data.devQ, devTokens: data.devTokens, devRels: data.devRels, encoder: glove, contrasLabels: data.labels };
  const common = { bytes, epochs, plan, maxQueryLength: 64, seed: 3 };
  for (const r of await compareQuantizers(input, { ...common, methods: ['opq', indexMethod], onRow: (r) => log(r, r.method) })) rows.push({ ...r, tower: r.kind === indexMethod ? 'index only' : r.kind === 'dense' ? 'dense (glove-100)' : 'OPQ (faiss algorithm)' });
  for (const [tower, make] of towers) {
    for (const r of await compareQuantizers({ ...input, makeQueryTower: make }, { ...common, methods: [towerMethod], onRow: (r) => log(r, tower) })) {
      if (r.kind !== 'dense') rows.push({ ...r, tower });
    }
  }
  await glove.dispose();
  await frozenBert.dispose();
  const seconds = (performance.now() - t0) / 1000;
  rows.sort((a, b) => a.bytes - b.bytes);
  const md = [
    `# Transformer tower, ${data.describe}; ${loss}, ${plan.epochs} epochs, scope ${plan.docScope}${plan.docScope === 'batch' ? ` (batch ${plan.batchSize}, ${plan.perQueryNegNum} hard negatives)` : ''}`,
    '',
    `GloVe-BERT: ${layers} layers, ${src.config.hidden} wide, ${src.config.heads} heads, feed-forward ${src.config.intermediate}, mean pooling, L2-normalised; ` +
      `untrained, its dev-query embeddings have mean cosine ${cosInit.toFixed(4)} with glove-100's. The transformer trains ${trainLayers} (AdamW lr ${lrEncoder}, weight decay 0.01, 10% warm-up).`,
    '',
    markdownTable(
      ['bytes', 'query side', 'index', 'MRR@10', 'R@100', 'train s', 'train q/s'],
      rows.map((r) => [r.bytes, r.tower, r.method, r.mrr10, r.recall100, r.trainSeconds === null ? '' : r.trainSeconds.toFixed(1), r.trainQps === null ? '' : r.trainQps.toFixed(0)]),
    ),
    '',
    `total ${seconds.toFixed(0)} s on this machine (single process, 1 thread)`,
  ].join('\n');
  const name = `train-transformer-${data.name}${loss === 'contras' ? '-contras' : ''}`;
  writeReportFile(join(out, `${name}.json`), JSON.stringify({ dataset, layers, trainLayers, lrEncoder, loss, plan, cosInit, seconds, rows }, null, 2) + '\n');
  writeReportFile(join(out, `${name}.md`), md + '\n');
  console.log(md);
}
