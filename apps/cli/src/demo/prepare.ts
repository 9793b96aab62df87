import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LibvqError, type Matrix } from '@libvq/index-core';
import { concatTokenRows } from '@libvq/dataset/formats';
import { preprocessData, readIdMap, readRelsTable, readTokens, relsPath, tokensPath, type OffsetRels, relsToOffsets } from '@libvq/dataset';
import { inference, type BaseEncoder, type TokenBatch } from '@libvq/encoder';
import { HeadTower, TransformerTower, embedTokenRows, type QueryTokens, type TrainLayers, type TrainableTower } from '@libvq/train';
import { withProgress } from '../progress.js';
import { DEFAULT_MODEL, resolveModel, type ResolvedModel, type TowerFactory } from '../models/resolve-model.js';

/** What the demo trains and scores on, read back from the preprocessed + encoded work directory. */
export interface DemoData {
  docs: Matrix;
  /** Training queries: the train queries (if any) followed by one pseudo-query per document. */
  trainQueries: Matrix;
  trainTokens: QueryTokens;
  trainQueryCount: number;
  devQueries: Matrix;
  devTokens: QueryTokens;
  devRels: OffsetRels;
  encoder: BaseEncoder;
  /** The model the demo encodes and trains with (its name, for the report). */
  model: string;
  /** The model's query tower as its ONNX graph computes it (embeds the pseudo-queries; never trained). */
  baseTower: TrainableTower;
  /** A fresh trainable query tower for each trained row, over a copy of the base tower's weights. */
  makeTower: TowerFactory;
}

export interface PrepareOptions {
  dataDir: string;
  /** The model to encode and train with (a built-in name or a model directory). Default glove-100. */
  model?: string;
  /**
   * For a model directory: what of its query tower trains — 'head' (a linear head over the frozen ONNX model) or
   * the transformer's own weights ('all', 'embeddings-frozen', 'top-K'; a BERT-family model), at rate lrEncoder.
   */
  trainLayers?: string;
  lrEncoder?: number;
  workDir: string;
  maxDocLength: number;
  maxQueryLength: number;
  cacheDir?: string;
  signal: AbortSignal;
}

function concatRows(a: Matrix, b: Matrix): Matrix {
  const data = new Float32Array((a.rows + b.rows) * a.dim);
  data.set(a.data);
  data.set(b.data, a.data.length);
  return { rows: a.rows + b.rows, dim: a.dim, data };
}

/** Each row cut to its first `n` tokens (a document's opening words as a pseudo-query). */
function prefixTokens(t: QueryTokens, n: number): QueryTokens {
  const offsets = new Int32Array(t.rows + 1);
  for (let i = 0; i < t.rows; i++) offsets[i + 1] = offsets[i] + Math.min(n, t.offsets[i + 1] - t.offsets[i]);
  const values = new Int32Array(offsets[t.rows]);
  for (let i = 0; i < t.rows; i++) values.set(t.values.subarray(t.offsets[i], t.offsets[i] + offsets[i + 1] - offsets[i]), offsets[i]);
  return { rows: t.rows, offsets, values };
}

/**
 * The trainable query towers of the demo's learned rows (fixEmb 'doc'): a built-in model's own (glove-100: its word
 * vectors), a transformer's own weights (a model directory with --train-layers all / embeddings-frozen / top-K), or
 * a linear head over the frozen ONNX model (a model directory, --train-layers head).
 */
async function queryTowers(model: ResolvedModel, encoder: BaseEncoder, trainLayers: string, o: PrepareOptions): Promise<TowerFactory> {
  if (model.dir && trainLayers !== 'head') {
    return TransformerTower.factory(model.dir, { trainLayers: trainLayers as TrainLayers, lr: o.lrEncoder });
  }
  if (trainLayers !== 'head') throw new LibvqError('INVALID_ARGUMENT', `--train-layers ${trainLayers}: trains a transformer from a model directory; ${model.name} is a built-in model`);
  if (model.towers) return model.towers(o.signal);
  if (!model.dir) throw new LibvqError('UNSUPPORTED', `libvq demo trains the query tower of ${model.name}, which has no trainable towers`);
  // The frozen query tower: the encoder's query side as a Tower.
  const frozen = { dim: encoder.dim, embed: (b: TokenBatch) => encoder.queryEmb(b), describe: () => model.name };
  return () => new HeadTower(frozen);
}

/**
 * LibVQ steps 1 and 4 of the demo's input side: preprocess the raw directory (tokens + id maps, Arrow),
 * encode docs and queries with the default model (embeddings, Arrow), then read what training needs back.
 * Training queries are the judged train queries plus each document's first `maxQueryLength` tokens
 * (Cranfield: its title and opening words), so an index learns from the corpus itself; dev queries are
 * never trained on.
 */
export async function prepareDemoData(o: PrepareOptions): Promise<DemoData> {
  const pre = join(o.workDir, 'preprocessed');
  const model = await resolveModel(o.model ?? DEFAULT_MODEL, { cacheDir: o.cacheDir });
  const trainLayers = o.trainLayers ?? 'head';
  const tokenizer = await model.tokenizer();
  await withProgress('1/5 preprocessing', 'lines', (onProgress) =>
    preprocessData({ dataDir: o.dataDir, outputDir: pre, tokenizer, maxDocLength: o.maxDocLength, maxQueryLength: o.maxQueryLength, signal: o.signal, onProgress }),
  );
  if (!existsSync(tokensPath(pre, 'dev-queries')) || !existsSync(relsPath(pre, 'dev'))) {
    throw new LibvqError('IO', `--data ${o.dataDir}: the demo scores dev queries; expected dev-queries.tsv and dev-rels.tsv there (LibVQ layout)`);
  }
  const hasTrain = existsSync(tokensPath(pre, 'train-queries'));
  const encoder = await model.encoder();
  try {
    const encode = async (prefix: string): Promise<Matrix> => {
      const r = await withProgress(`2/5 encoding ${prefix}`, 'rows', (onProgress) =>
        inference({ dataDir: pre, prefix, encoder, outputDir: pre, returnVecs: true, signal: o.signal, onProgress }),
      );
      return r.vectors!;
    };
    const docs = await encode('docs');
    const devQueries = await encode('dev-queries');
    const trainJudged = hasTrain ? await encode('train-queries') : null;
    const makeTower = await withProgress(`2/5 loading the ${model.name} query tower`, 'steps', () => queryTowers(model, encoder, trainLayers, o));
    const baseTower = makeTower();
    const pseudoTokens = prefixTokens(await readTokens(pre, 'docs'), o.maxQueryLength);
    const pseudo = await embedTokenRows(baseTower, pseudoTokens, { maxQueryLength: o.maxQueryLength, signal: o.signal });
    const trainTokens = hasTrain ? concatTokenRows([await readTokens(pre, 'train-queries'), pseudoTokens]) : pseudoTokens;
    const trainQueries = trainJudged ? concatRows(trainJudged, pseudo) : pseudo;
    const devTokens = await readTokens(pre, 'dev-queries');
    const relsFile = relsPath(pre, 'dev');
    const devRels = relsToOffsets(await readRelsTable(relsFile), await readIdMap(pre, 'dev-queries'), await readIdMap(pre, 'docs'), relsFile);
    if (devRels.size === 0) throw new LibvqError('INSUFFICIENT_DATA', `--data ${o.dataDir}: dev-rels.tsv judges none of the dev queries against known documents`);
    return { docs, trainQueries, trainTokens, trainQueryCount: trainJudged?.rows ?? 0, devQueries, devTokens, devRels, encoder, model: model.name, baseTower, makeTower };
  } catch (e) {
    await encoder.dispose();
    throw e;
  }
}
