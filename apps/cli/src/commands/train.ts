import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { LibvqError, type Matrix } from '@libvq/index-core';
import { DEFAULT_METRIC, writeFileAtomic, type MetricOrCosine } from '@libvq/index-core/util';
import { readIdMap, readRelsTable, relsPath, relsToOffsets } from '@libvq/dataset';
import { LearnableIndex, resolveFitOptions, type FitReport, type FixEmb, type LearnableFitOptions, type RelData } from '@libvq/train';
import { describeLabelMining, labelsFromRanking, planTraining, readRankingFile } from '@libvq/train/fit';
import { fixEmbOption, trainWithTowers } from '../train-towers.js';
import { DEFAULT_MODEL, modelNames } from '../models/resolve-model.js';
import { trainingCurvesSvg } from '../plot/training-curves.js';
import { withConfig } from '../config.js';
import { checkResumeOptions, resumeMessage, runRecord } from '../train-resume.js';
import { interruptible } from '../interrupt.js';
import { withStageProgress } from '../progress.js';
import { fitBars, trainingBars } from '../training-bars.js';
import { opqOptions } from './build.js';
import { METRIC_HELP, VECTORS_FORMATS, choiceOption, intOption, metricOption, positiveNumberOption, readVectorsArg, temperatureOption } from '../vectors-arg.js';

/** The library's defaults, the CLI's: resolved once by the function fit itself resolves its options with. */
const FIT_DEFAULTS = resolveFitOptions({});

interface TrainFlags {
  data?: string;
  docs?: string;
  queries?: string;
  mode: string;
  out: string;
  plot?: string;
  factory: string;
  metric: MetricOrCosine;
  opqNiter?: number;
  opqTrainPoints?: number;
  loss: 'distill' | 'contras';
  labels?: 'virtual' | 'rels';
  /** A ranking file (`libvq cluster label`): the virtual labels, mined elsewhere. */
  virtualLabels?: string;
  /** epochs, batchSize, neg, scope: undefined = the training plan's (applyTrainingPlan fills them in). */
  epochs?: number;
  batchSize?: number;
  neg?: number;
  temperature: number | 'auto';
  scope?: 'batch' | 'corpus';
  codes?: 'fixed' | 'nearest';
  writeBack?: 'keep' | 'reencode';
  lrCodebooks: number;
  lrCentroids: number;
  lrRotation: number;
  freezeRotation?: boolean;
  checkpointDir?: string;
  resume?: boolean;
  seed: number;
  fixEmb: FixEmb;
  model: string;
  trainLayers: string;
  lrEncoder: number;
  gradAccumulation: number;
  threads: number;
  labelSearch: 'index' | 'exact';
  labelNprobe: number | 'auto';
}

/** --label-nprobe: 'auto' or a positive integer (checked against the index's nlist by fit). */
function nprobeOption(v: string): number | 'auto' {
  if (v === 'auto') return 'auto';
  return intOption('--label-nprobe', 1)(v);
}

/** The judgments of `{mode}-rels.arrow` as query row -> positive document rows (grade > 0). */
async function readLabels(dir: string, mode: string): Promise<RelData> {
  const file = relsPath(dir, mode);
  if (!existsSync(file)) throw new LibvqError('IO', `--labels rels: ${file} does not exist (run libvq preprocess on a directory with ${mode}-rels.tsv)`);
  const rels = relsToOffsets(await readRelsTable(file), await readIdMap(dir, `${mode}-queries`), await readIdMap(dir, 'docs'), file);
  const out: RelData = new Map();
  for (const [q, docs] of rels) {
    const pos = [...docs].filter(([, g]) => g > 0).map(([d]) => d);
    if (pos.length > 0) out.set(q, pos);
  }
  return out;
}

/**
 * The settings left at their defaults (not on the command line, not in --config) are the training plan's for this
 * corpus (planTraining: whole-corpus distillation up to 5,000 documents, in-batch + hard negatives above, epochs
 * within an example budget); what was chosen and why is printed before training starts.
 */
type PlannedFlags = TrainFlags & Required<Pick<TrainFlags, 'scope' | 'batchSize' | 'neg' | 'epochs'>>;

function applyTrainingPlan(f: TrainFlags, documents: number, trainingQueries: number): PlannedFlags {
  const plan = planTraining({ documents, trainingQueries, epochs: f.epochs ?? FIT_DEFAULTS.epochs, docScope: f.scope });
  const chosen: string[] = [];
  const take = <K extends 'scope' | 'batchSize' | 'neg' | 'epochs'>(attr: K, value: NonNullable<TrainFlags[K]>, flag: string) => {
    if (f[attr] !== undefined) {
      chosen.push(`${flag} ${String(f[attr])} (given)`);
    } else {
      f[attr] = value;
      chosen.push(`${flag} ${String(value)}`);
    }
  };
  take('scope', plan.docScope, '--scope');
  take('batchSize', plan.batchSize, '--batch-size');
  if (f.scope === 'batch') take('neg', plan.perQueryNegNum, '--neg');
  take('epochs', plan.epochs, '--epochs');
  console.error(`training plan for ${documents} documents and ${trainingQueries} training queries: ${chosen.join(', ')}`);
  for (const r of plan.reasons) console.error(`  ${r}`);
  return { ...f, neg: f.neg ?? FIT_DEFAULTS.perQueryNegNum } as PlannedFlags; // --neg counts with scope batch only
}

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a learnable index (IVF centroids, PQ codebooks, OPQ rotation) on stored embeddings and save a checkpoint directory')
    .option('--data <dir>', 'a preprocessed + encoded directory: docs.embeddings.arrow, {mode}-queries.embeddings.arrow, {mode}-rels.arrow')
    .option('--docs <vectors>', `document embeddings (default: DIR/docs.embeddings.arrow): ${VECTORS_FORMATS}`)
    .option('--queries <vectors>', 'training query embeddings (default: DIR/{mode}-queries.embeddings.arrow)')
    .option('--mode <name>', 'which queries / judgments train', 'train')
    .requiredOption('-o, --out <dir>', 'checkpoint directory to write (index.faiss, tensors.safetensors, manifest.json)')
    .requiredOption('--factory <spec>', 'the initial index as a faiss factory string: IVF<nlist>,Flat | IVF<nlist>,PQ<M>x<nbits> | OPQ<M>[_<d>],IVF<nlist>,PQ<M>x<nbits> | PQ<M>x<nbits> | OPQ<M>[_<d>],PQ<M>x<nbits> (OPQ<M>_<d> also reduces the dimension to d: 8 bytes on 100-d is OPQ8_96,PQ8x8); 4-bit fast-scan: PQ<M>x4fs, or IVF<nlist>,PQ<M>x4fsr (residual codes, what LibVQ learns)')
    .option('--metric <m>', `${METRIC_HELP}; cosine trains the index only (--fix-emb query,doc)`, metricOption, DEFAULT_METRIC)
    .option('--opq-niter <n>', "OPQ: alternating iterations of the initial rotation's training (faiss's niter; default 50)", intOption('--opq-niter', 1))
    .option('--opq-train-points <n>', "OPQ: documents the initial rotation is fitted on, a seeded sample (faiss's max_train_points; default 65536)", intOption('--opq-train-points', 1))
    .option('--loss <name>', 'distill (KL to the dense ranking) or contras (cross-entropy on labels)', choiceOption('--loss', ['distill', 'contras'] as const), 'distill' as const)
    .option('--labels <kind>', 'virtual (rank 1 of the initial index = positive, ranks 2..400 negatives) or rels (--data judgments); default: virtual for distill, rels for contras', choiceOption('--labels', ['virtual', 'rels'] as const))
    .option('--epochs <n>', `epochs (default: the training plan's, at most ${FIT_DEFAULTS.epochs}: fewer when the training queries are many)`, intOption('--epochs', 1))
    .option('--batch-size <n>', "queries per batch (default: the training plan's: 32 with --scope corpus, 128 with batch)", intOption('--batch-size', 1))
    .option('--neg <n>', "hard negatives per query, scope batch (default: the training plan's, 4)", intOption('--neg', 0))
    .option('--temperature <t>', "score temperature tau, or 'auto': fitted to the teacher's score spread (the rank-100 document weighs e^-4 of the first)", temperatureOption('--temperature'), FIT_DEFAULTS.temperature)
    .option('--scope <s>', 'documents scored per query: batch (LibVQ, in-batch + hard negatives) or corpus (all) (default: the training plan\'s: corpus up to 5,000 documents, else batch)', choiceOption('--scope', ['batch', 'corpus'] as const))
    .option('--codes <c>', 'fixed (JPQ: documents keep their codes) or nearest (LibVQ: straight-through); default fixed, nearest when the document tower trains', choiceOption('--codes', ['fixed', 'nearest'] as const))
    .option('--write-back <w>', 'keep or reencode (default: keep with fixed codes, reencode with nearest)', choiceOption('--write-back', ['keep', 'reencode'] as const))
    .option('--lr-codebooks <x>', 'AdamW rate of the PQ codebooks', positiveNumberOption('--lr-codebooks'), FIT_DEFAULTS.lr.codebooks)
    .option('--lr-centroids <x>', 'SGD rate of the IVF centroids', positiveNumberOption('--lr-centroids'), FIT_DEFAULTS.lr.centroids)
    .option('--lr-rotation <x>', 'rate of the OPQ rotation (Cayley retraction)', positiveNumberOption('--lr-rotation'), FIT_DEFAULTS.lr.rotation)
    .option('--freeze-rotation', 'keep the OPQ rotation fixed (as LibVQ does)')
    .option('--checkpoint-dir <dir>', 'save the index and training state after every epoch here')
    .option('--resume', 'continue the run saved in --checkpoint-dir (with the same options; --epochs may grow); a run that finished training but not its -o output is only exported')
    .option('--plot <file.svg>', 'also write the training curve (mean loss per epoch) as an SVG chart')
    .option('--virtual-labels <file>', 'virtual labels mined elsewhere: a ranking file of `libvq cluster label` over the training queries (rank 1 = positive, the rest negatives); no mining here')
    .option('--label-search <s>', "how virtual labels are mined: index (LibVQ: search the initial index; with IVF, --label-nprobe lists) or exact (the dense embeddings' exact ranking, blocked GEMM on --threads)", choiceOption('--label-search', ['index', 'exact'] as const), 'index' as const)
    .option('--label-nprobe <n>', "lists the virtual labels' index search probes, or auto: the fewest whose labels on 256 sampled queries match a search of every list (98% same positive, 95% of the labels)", nprobeOption, 'auto' as const)
    .option('--threads <n>', 'threads of index training, adds and the label search (the index bytes are the same for any value) (default: the cores, at most 8)', intOption('--threads', 1, 256), Math.min(8, availableParallelism()))
    .option('--seed <n>', 'seed for every random choice', intOption('--seed', 0, 0xffffffff), FIT_DEFAULTS.seed)
    .option('--fix-emb <which>', "LibVQ fix_emb, the stored embeddings kept fixed: query,doc (the index only), doc (the query tower trains), query (the document tower trains, every document is re-encoded), none (both towers); towers read --data's token files", fixEmbOption, 'query, doc' as FixEmb)
    .option('--model <name|dir>', `the encoder whose towers train (--fix-emb doc|query|none): ${modelNames().map((n) => `"${n}"`).join(', ')} (the model's own weights train, e.g. word vectors) or a model directory (see --train-layers)`, DEFAULT_MODEL)
    .option('--train-layers <which>', "what of a model directory's encoder trains: head (a linear head over the frozen ONNX model, any model), or the transformer's own weights (a BERT-family model: BERT, MiniLM, BGE, E5): all, embeddings-frozen, top-K (the top K layers); the trained encoder is written as OUT/query-encoder (and OUT/doc-encoder), a model directory", 'head')
    .option('--lr-encoder <x>', "AdamW rate of the transformer's weights (--train-layers all|embeddings-frozen|top-K; LibVQ's 1e-5)", positiveNumberOption('--lr-encoder'), 1e-5)
    .option('--grad-accumulation <n>', "batches whose gradients the transformer sums before one optimiser step", intOption('--grad-accumulation', 1), 1)
    .addHelpText(
      'after',
      `
By default trains the index only, on stored embeddings. --fix-emb doc / query / none trains the query tower,
the document tower or both jointly with it (LearnableIndexWithEncoder), from --data's token files; the
checkpoint then also holds query-tower.safetensors (and doc-tower.safetensors).

Examples:
  libvq train --data prep/ --factory OPQ4,PQ4x8 --loss distill --scope corpus --epochs 10 --plot curve.svg -o ckpt
  libvq train --docs docs.npy --queries q.npy --factory IVF1024,PQ20x8 -o ckpt
  libvq train --data prep/ --factory OPQ4,PQ4x8 --labels rels --loss contras --fix-emb none --model ${DEFAULT_MODEL} -o ckpt
  libvq train --data prep/ --factory OPQ10,PQ10x8 --fix-emb doc --model my-bert/ --train-layers all -o ckpt

LibVQ's index_method names map to factory strings: ivf = IVF<n>,Flat; ivf_pq = IVF<n>,PQ<M>x<b>;
ivf_opq = OPQ<M>,IVF<n>,PQ<M>x<b>; pq = PQ<M>x<b>; opq = OPQ<M>,PQ<M>x<b> (LearnableIndex.create takes LibVQ's names).`,
    )
    .action(async (f: TrainFlags) => {
      const labelsKind = f.labels ?? (f.loss === 'distill' ? 'virtual' : 'rels');
      if (f.resume && !f.checkpointDir) throw new LibvqError('INVALID_ARGUMENT', '--resume needs --checkpoint-dir (where the run was saved)');
      if (f.metric === 'cosine' && f.fixEmb !== 'query, doc') {
        // Checked before any file is read: fit refuses it too, but only after the initial index is built.
        throw new LibvqError('INVALID_ARGUMENT', `--metric cosine trains the index only: --fix-emb ${f.fixEmb || 'none'} trains a tower, whose output would need the normalisation's gradient; normalise the model's output and use --metric ip`);
      }
      const docsPath = f.docs ?? (f.data ? join(f.data, 'docs.embeddings.arrow') : undefined);
      const queriesPath = f.queries ?? (f.data ? join(f.data, `${f.mode}-queries.embeddings.arrow`) : undefined);
      if (!docsPath || !queriesPath) throw new LibvqError('INVALID_ARGUMENT', 'give --data DIR, or --docs and --queries');
      const docs: Matrix = (await readVectorsArg(docsPath, '--docs')).matrix;
      const queries: Matrix = (await readVectorsArg(queriesPath, '--queries')).matrix;
      let relData: RelData | null = null;
      let negData: RelData | null = null;
      if (labelsKind === 'rels') {
        if (f.virtualLabels) throw new LibvqError('INVALID_ARGUMENT', '--virtual-labels gives virtual labels: it does not go with --labels rels');
        if (!f.data) throw new LibvqError('INVALID_ARGUMENT', '--labels rels needs --data DIR (its {mode}-rels.arrow)');
        relData = await readLabels(f.data, f.mode);
      } else if (f.virtualLabels) {
        const r = await readRankingFile(f.virtualLabels);
        if (r.start !== 0 || r.rows !== queries.rows) {
          throw new LibvqError('DIMENSION_MISMATCH', `--virtual-labels ${f.virtualLabels}: a ranking of queries [${r.start}, ${r.start + r.rows}), the training queries ${queriesPath} are ${queries.rows}`);
        }
        const labels = labelsFromRanking(r.ids, r.rows, r.k, r.k - 1);
        relData = labels.rels;
        negData = labels.negs;
      }
      const fp = applyTrainingPlan(f, docs.rows, relData ? relData.size : queries.rows);
      // every per-epoch checkpoint records the options of its run; --resume refuses others (train-resume.ts)
      const record = runRecord({ ...fp, labels: f.virtualLabels ? `virtual:${f.virtualLabels}` : labelsKind }, docs, queries);
      if (f.resume) {
        const note = checkResumeOptions(f.checkpointDir!, record, fp.epochs);
        if (note) console.error(`note: ${note}`);
      }
      const fit = {
        relData, negData, lossMethod: f.loss, epochs: fp.epochs, batchSize: fp.batchSize, perQueryNegNum: fp.neg, temperature: f.temperature,
        docScope: fp.scope, codeAssignment: f.codes, writeBack: f.writeBack, lr: { codebooks: f.lrCodebooks, centroids: f.lrCentroids, rotation: f.lrRotation },
        freeze: { rotation: !!f.freezeRotation }, checkpointDir: f.checkpointDir, checkpointManifest: { cli: record }, seed: f.seed,
        labelMining: { method: f.labelSearch, nprobe: f.labelNprobe },
      };
      const create = { factory: f.factory, metric: f.metric, seed: f.seed, threads: f.threads, ...opqOptions(f) };
      let li: LearnableIndex;
      let rep: Pick<FitReport, 'epochLoss' | 'epochs' | 'steps' | 'queriesPerSecond' | 'temperature' | 'labels'>;
      if (f.trainLayers !== 'head' && f.fixEmb === 'query, doc') {
        throw new LibvqError('INVALID_ARGUMENT', `--train-layers ${f.trainLayers}: a transformer trains as a tower; give --fix-emb doc (the query tower), query or none`);
      }
      if (f.fixEmb !== 'query, doc') {
        if (!f.data) throw new LibvqError('INVALID_ARGUMENT', `--fix-emb ${f.fixEmb || 'none'} trains a tower: give --data DIR (its token files)`);
        const r = await trainWithTowers({
          dataDir: f.data, mode: f.mode, model: f.model, fixEmb: f.fixEmb, docs, queries, create, fit,
          transformer: { trainLayers: f.trainLayers, lr: f.lrEncoder, accumulate: f.gradAccumulation },
          resumeDir: f.resume ? f.checkpointDir : undefined, out: f.out,
        });
        if (r.resumedAfter !== null) console.error(resumeMessage(f.checkpointDir!, r.resumedAfter, fp.epochs, f.out));
        li = r.model.learnable;
        rep = r.report;
      } else {
        let resumeFrom: LearnableFitOptions['resumeFrom'];
        if (f.resume) {
          const r = LearnableIndex.resume(f.checkpointDir!);
          li = r.index;
          li.index.threads = f.threads;
          resumeFrom = r.state;
          console.error(resumeMessage(f.checkpointDir!, r.state.epochsDone, fp.epochs, f.out));
        } else {
          li = await withStageProgress(trainingBars(f.factory), (onProgress) => LearnableIndex.fromFactory({ ...create, docEmbeddings: docs, onProgress }));
        }
        const index = li;
        rep = await withStageProgress(fitBars, (onProgress) => index.fitSync({ ...fit, queryEmbeddings: queries, docEmbeddings: docs, resumeFrom, onProgress }));
        await interruptible(`writing ${f.out}`, () => index.save(f.out));
      }
      if (rep.labels) console.error(describeLabelMining(rep.labels));
      const loss = rep.epochLoss.length ? `loss ${rep.epochLoss[0].toFixed(4)} -> ${rep.epochLoss.at(-1)!.toFixed(4)}, ` : '';
      const towers = f.fixEmb === 'query, doc' ? '' : `, towers trained: ${{ doc: 'query', query: 'document', '': 'query + document' }[f.fixEmb]}`;
      if (f.plot) {
        const svg = await trainingCurvesSvg([{ name: `${li.describe()} (${f.loss})`, epochLoss: rep.epochLoss }], `libvq train -> ${f.out}`);
        await interruptible(`writing ${f.plot}`, () => writeFileAtomic(f.plot!, [svg]));
      }
      console.log(
        `${li.describe()} (${f.metric}): ${rep.epochs} epochs, ${rep.steps} steps, tau ${rep.temperature.toPrecision(3)}, ${loss}${rep.queriesPerSecond.toFixed(0)} queries/s, ` +
          `|RtR-I| ${li.rotationError().toExponential(1)}${towers} -> ${f.out}`,
      );
    });
  // Config keys: LearnableIndex.fromFactory's and fit's option names (opq, lr and freeze objects nest in the file).
  withConfig(cmd, {
    apiNames: {
      'opq.niter': 'opqNiter', 'opq.maxTrainPoints': 'opqTrainPoints',
      lossMethod: 'loss', perQueryNegNum: 'neg', docScope: 'scope', codeAssignment: 'codes',
      'labelMining.method': 'labelSearch', 'labelMining.nprobe': 'labelNprobe',
      'lr.codebooks': 'lrCodebooks', 'lr.centroids': 'lrCentroids', 'lr.rotation': 'lrRotation', 'freeze.rotation': 'freezeRotation',
    },
  });
}
