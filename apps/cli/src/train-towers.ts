import { InvalidArgumentError } from 'commander';
import type { Matrix } from '@libvq/index-core';
import { readTokens } from '@libvq/dataset';
import { join } from 'node:path';
import { LibvqError } from '@libvq/index-core';
import {
  LearnableIndex, LearnableIndexWithEncoder, TransformerTower, type FixEmb, type QueryTokens, type TrainLayers, type WithEncoderFitOptions, type WithEncoderFitReport,
} from '@libvq/train';
import { interruptible } from './interrupt.js';
import { resolveModel } from './models/resolve-model.js';
import { progressBar, withStageProgress, type ProgressBar } from './progress.js';
import { fitBars, trainingBars } from './training-bars.js';

/**
 * `--fix-emb`: LibVQ's fix_emb on the command line. 'query,doc' (or LibVQ's 'query, doc') keeps both stored
 * embeddings (the index only), 'doc' trains the query tower, 'query' the document tower, 'none' (or '') both.
 */
export function fixEmbOption(v: string): FixEmb {
  const s = v.replace(/\s+/g, '');
  if (s === 'query,doc' || s === 'doc,query') return 'query, doc';
  if (s === 'doc' || s === 'query') return s;
  if (s === 'none' || s === '') return '';
  throw new InvalidArgumentError(`--fix-emb: expected one of query,doc (index only), doc, query, none, got "${v}"`);
}

/** The longest token row (the tokens were cut when preprocessed; the towers see all of them, as `libvq encode` did). */
function longestRow(t: QueryTokens): number {
  let m = 1;
  for (let i = 0; i < t.rows; i++) m = Math.max(m, t.offsets[i + 1] - t.offsets[i]);
  return m;
}

export interface TowerTrainingArgs {
  dataDir: string;
  mode: string;
  model: string;
  fixEmb: FixEmb;
  docs: Matrix;
  queries: Matrix;
  /** The initial index (LearnableIndex.fromFactory's options but the documents). */
  create: Omit<Parameters<typeof LearnableIndex.fromFactory>[0], 'docEmbeddings'>;
  fit: Omit<WithEncoderFitOptions, 'docEmbeddings' | 'queryEmbeddings' | 'fixEmb'>;
  /** --train-layers (head, or the transformer's own weights), --lr-encoder, --grad-accumulation. */
  transformer?: { trainLayers: string; lr: number; accumulate: number };
  /** Continue the per-epoch checkpoint in this directory. */
  resumeDir?: string;
  out: string;
}

/**
 * `libvq train --fix-emb doc|query|none`: LearnableIndexWithEncoder over `--model`'s towers. A model with towers
 * of its own (resolveModel: a word-vector model's embeddings) trains those; for a model directory a linear head over each
 * frozen ONNX tower trains. Token rows come from the preprocessed `--data` directory ({mode}-queries, docs).
 */
export async function trainWithTowers(a: TowerTrainingArgs): Promise<{ model: LearnableIndexWithEncoder; report: WithEncoderFitReport; resumedAfter: number | null }> {
  const trainQ = a.fixEmb === 'doc' || a.fixEmb === '';
  const trainD = a.fixEmb === 'query' || a.fixEmb === '';
  const queryTokens = trainQ ? await readTokens(a.dataDir, `${a.mode}-queries`) : undefined;
  const docTokens = trainD ? await readTokens(a.dataDir, 'docs') : undefined;
  const resolved = await resolveModel(a.model);
  const encoder = await resolved.encoder();
  try {
    // When both towers train each has weights of its own (the factory copies them for the second; a transformer
    // is read once per tower).
    const tf = a.transformer;
    const transformer = tf && tf.trainLayers !== 'head' ? tf : null;
    if (transformer && !resolved.dir) {
      throw new LibvqError('INVALID_ARGUMENT', `--train-layers ${transformer.trainLayers}: trains a transformer from a model directory; ${a.model} is a built-in model (its own weights train with --train-layers head)`);
    }
    const makeTower = transformer
      ? await TransformerTower.factory(resolved.dir!, { trainLayers: transformer.trainLayers as TrainLayers, lr: transformer.lr, accumulate: transformer.accumulate })
      : resolved.towers ? await resolved.towers() : null;
    const queryTower = makeTower && trainQ ? makeTower() : undefined;
    const docTower = makeTower && trainD ? makeTower() : undefined;
    let model: LearnableIndexWithEncoder;
    let resumedAfter: number | null = null;
    let resumeFrom: WithEncoderFitOptions['resumeFrom'];
    if (a.resumeDir) {
      const r = LearnableIndexWithEncoder.resume(a.resumeDir, { encoder, queryTower, docTower });
      model = r.model;
      resumeFrom = r.state;
      resumedAfter = r.state.epochsDone;
    } else {
      model = await withStageProgress(trainingBars(a.create.factory), (onProgress) =>
        LearnableIndexWithEncoder.fromFactory({ ...a.create, docEmbeddings: a.docs, encoder, queryTower, docTower, onProgress }),
      );
    }
    // drawn once re-encoding starts (after the last epoch), closed even when training fails
    const bars: { reencode?: ProgressBar } = {};
    let report: WithEncoderFitReport;
    try {
      report = await withStageProgress(fitBars, (onProgress) =>
        model.fit({
          ...a.fit, fixEmb: a.fixEmb, docEmbeddings: a.docs, queryEmbeddings: a.queries, resumeFrom, onProgress,
          queryTokens, maxQueryLength: queryTokens ? longestRow(queryTokens) : undefined,
          docTokens, maxDocLength: docTokens ? longestRow(docTokens) : undefined,
          onReencodeProgress: (d, t) => (bars.reencode ??= progressBar('re-encoding the documents', 'docs')).update(d, t),
        }),
      );
    } finally {
      bars.reencode?.finish();
    }
    await interruptible(`writing ${a.out}`, () => model.save(a.out));
    // A trained transformer is also written as a model directory, which `libvq encode --model` / OnnxEncoder serve.
    for (const [tower, name] of [[queryTower, 'query-encoder'], [docTower, 'doc-encoder']] as const) {
      if (tower instanceof TransformerTower) await interruptible(`writing ${join(a.out, name)}`, () => tower.save(join(a.out, name)));
    }
    return { model, report, resumedAfter };
  } finally {
    await encoder.dispose();
  }
}
