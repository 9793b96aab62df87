import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { LibvqError, type Matrix, type Metric } from '@libvq/index-core';
import { writeFileAtomic } from '@libvq/index-core/util';
import { readIdMap, readRelsTable, relsPath, relsToOffsets } from '@libvq/dataset';
import { LearnableIndex, type FitReport, type FixEmb, type LearnableFitOptions, type LearnableMethod, type RelData } from '@libvq/train';
import { fixEmbOption, trainWithTowers } from '../train-towers.js';
import { DEFAULT_MODEL, modelNames } from '../models/resolve-model.js';
import { trainingCurvesSvg } from '../plot/training-curves.js';
import { withConfig } from '../config.js';
import { checkResumeOptions, resumeMessage, runRecord } from '../train-resume.js';
import { interruptible } from '../interrupt.js';
import { withProgress, withStageProgress } from '../progress.js';
import { initialIndexBars } from '../training-bars.js';
import { VECTORS_FORMATS, choiceOption, intOption, metricOption, positiveNumberOption, readVectorsArg, temperatureOption } from '../vectors-arg.js';

const METHODS: readonly LearnableMethod[] = ['ivf', 'ivf_pq', 'ivf_opq', 'pq', 'opq'];

interface TrainFlags {
  data?: string;
  docs?: string;
  queries?: string;
  mode: string;
  out: string;
  plot?: string;
  method: LearnableMethod;
  ivfCenters?: number;
  subvectors?: number;
  bits: number;
  metric: Metric;
  loss: 'distill' | 'contras';
  labels?: 'virtual' | 'rels';
  epochs: number;
  batchSize: number;
  neg: number;
  temperature: number | 'auto';
  scope: 'batch' | 'corpus';
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

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a learnable index (IVF centroids, PQ codebooks, OPQ rotation) on stored embeddings and save a checkpoint directory')
    .option('--data <dir>', 'a preprocessed + encoded directory: docs.embeddings.arrow, {mode}-queries.embeddings.arrow, {mode}-rels.arrow')
    .option('--docs <vectors>', `document embeddings (default: DIR/docs.embeddings.arrow): ${VECTORS_FORMATS}`)
    .option('--queries <vectors>', 'training query embeddings (default: DIR/{mode}-queries.embeddings.arrow)')
    .option('--mode <name>', 'which queries / judgments train', 'train')
    .requiredOption('-o, --out <dir>', 'checkpoint directory to write (index.faiss, tensors.safetensors, manifest.json)')
    .requiredOption('--method <name>', `LibVQ index_method: ${METHODS.join(', ')}`, choiceOption('--method', METHODS))
    .option('--ivf-centers <n>', 'IVF lists (ivf* methods)', intOption('--ivf-centers', 1))
    .option('--subvectors <n>', 'PQ sub-vectors M (bytes per vector at 8 bits)', intOption('--subvectors', 1))
    .option('--bits <n>', 'bits per sub-vector code', intOption('--bits', 1, 8), 8)
    .option('--metric <m>', 'ip or l2 (LibVQ dist_mode)', metricOption, 'ip' as Metric)
    .option('--loss <name>', 'distill (KL to the dense ranking) or contras (cross-entropy on labels)', choiceOption('--loss', ['distill', 'contras'] as const), 'distill' as const)
    .option('--labels <kind>', 'virtual (rank 1 of the initial index = positive, ranks 2..400 negatives) or rels (--data judgments); default: virtual for distill, rels for contras', choiceOption('--labels', ['virtual', 'rels'] as const))
    .option('--epochs <n>', 'epochs', intOption('--epochs', 1), 5)
    .option('--batch-size <n>', 'queries per batch', intOption('--batch-size', 1), 32)
    .option('--neg <n>', 'hard negatives per query (scope batch)', intOption('--neg', 0), 7)
    .option('--temperature <t>', "score temperature tau, or 'auto': fitted to the teacher's score spread (the rank-100 document weighs e^-4 of the first)", temperatureOption('--temperature'), 1)
    .option('--scope <s>', 'documents scored per query: batch (LibVQ, in-batch negatives) or corpus (all; small corpora)', choiceOption('--scope', ['batch', 'corpus'] as const), 'batch' as const)
    .option('--codes <c>', 'fixed (JPQ: documents keep their codes) or nearest (LibVQ: straight-through); default fixed, nearest when the document tower trains', choiceOption('--codes', ['fixed', 'nearest'] as const))
    .option('--write-back <w>', 'keep or reencode (default: keep with fixed codes, reencode with nearest)', choiceOption('--write-back', ['keep', 'reencode'] as const))
    .option('--lr-codebooks <x>', 'AdamW rate of the PQ codebooks', positiveNumberOption('--lr-codebooks'), 1e-4)
    .option('--lr-centroids <x>', 'SGD rate of the IVF centroids', positiveNumberOption('--lr-centroids'), 1e-3)
    .option('--lr-rotation <x>', 'rate of the OPQ rotation (Cayley retraction)', positiveNumberOption('--lr-rotation'), 1e-4)
    .option('--freeze-rotation', 'keep the OPQ rotation fixed (as LibVQ does)')
    .option('--checkpoint-dir <dir>', 'save the index and training state after every epoch here')
    .option('--resume', 'continue the run saved in --checkpoint-dir (with the same options; --epochs may grow); a run that finished training but not its -o output is only exported')
    .option('--plot <file.svg>', 'also write the training curve (mean loss per epoch) as an SVG chart')
    .option('--seed <n>', 'seed for every random choice', intOption('--seed', 0, 0xffffffff), 1234)
    .option('--fix-emb <which>', "LibVQ fix_emb, the stored embeddings kept fixed: query,doc (the index only), doc (the query tower trains), query (the document tower trains, every document is re-encoded), none (both towers); towers read --data's token files", fixEmbOption, 'query, doc' as FixEmb)
    .option('--model <name|dir>', `the encoder whose towers train (--fix-emb doc|query|none): ${modelNames().map((n) => `"${n}"`).join(', ')} (the model's own weights train, e.g. word vectors) or a model directory (a linear head over the frozen ONNX model trains)`, DEFAULT_MODEL)
    .addHelpText(
      'after',
      `
By default trains the index only, on stored embeddings. --fix-emb doc / query / none trains the query tower,
the document tower or both jointly with it (LearnableIndexWithEncoder), from --data's token files; the
checkpoint then also holds query-tower.safetensors (and doc-tower.safetensors).

Examples:
  libvq train --data prep/ --method opq --subvectors 4 --loss distill --scope corpus --temperature auto --lr-codebooks 1e-3 --epochs 10 --plot curve.svg -o ckpt
  libvq train --docs docs.npy --queries q.npy --method ivf_pq --ivf-centers 1024 --subvectors 20 -o ckpt
  libvq train --data prep/ --method opq --subvectors 4 --labels rels --loss contras --fix-emb none --model ${DEFAULT_MODEL} -o ckpt`,
    )
    .action(async (f: TrainFlags) => {
      const labelsKind = f.labels ?? (f.loss === 'distill' ? 'virtual' : 'rels');
      if (f.resume && !f.checkpointDir) throw new LibvqError('INVALID_ARGUMENT', '--resume needs --checkpoint-dir (where the run was saved)');
      const docsPath = f.docs ?? (f.data ? join(f.data, 'docs.embeddings.arrow') : undefined);
      const queriesPath = f.queries ?? (f.data ? join(f.data, `${f.mode}-queries.embeddings.arrow`) : undefined);
      if (!docsPath || !queriesPath) throw new LibvqError('INVALID_ARGUMENT', 'give --data DIR, or --docs and --queries');
      const docs: Matrix = (await readVectorsArg(docsPath, '--docs')).matrix;
      const queries: Matrix = (await readVectorsArg(queriesPath, '--queries')).matrix;
      let relData: RelData | null = null;
      if (labelsKind === 'rels') {
        if (!f.data) throw new LibvqError('INVALID_ARGUMENT', '--labels rels needs --data DIR (its {mode}-rels.arrow)');
        relData = await readLabels(f.data, f.mode);
      }
      // every per-epoch checkpoint records the options of its run; --resume refuses others (train-resume.ts)
      const record = runRecord({ ...f, labels: labelsKind }, docs, queries);
      if (f.resume) {
        const note = checkResumeOptions(f.checkpointDir!, record, f.epochs);
        if (note) console.error(`note: ${note}`);
      }
      const fit = {
        relData, lossMethod: f.loss, epochs: f.epochs, batchSize: f.batchSize, perQueryNegNum: f.neg, temperature: f.temperature,
        docScope: f.scope, codeAssignment: f.codes, writeBack: f.writeBack, lr: { codebooks: f.lrCodebooks, centroids: f.lrCentroids, rotation: f.lrRotation },
        freeze: { rotation: !!f.freezeRotation }, checkpointDir: f.checkpointDir, checkpointManifest: { cli: record }, seed: f.seed,
      };
      const create = { indexMethod: f.method, ivfCentersNum: f.ivfCenters, subvectorNum: f.subvectors, subvectorBits: f.bits, distMode: f.metric, seed: f.seed };
      let li: LearnableIndex;
      let rep: Pick<FitReport, 'epochLoss' | 'epochs' | 'steps' | 'queriesPerSecond' | 'temperature'>;
      if (f.fixEmb !== 'query, doc') {
        if (!f.data) throw new LibvqError('INVALID_ARGUMENT', `--fix-emb ${f.fixEmb || 'none'} trains a tower: give --data DIR (its token files)`);
        const r = await trainWithTowers({
          dataDir: f.data, mode: f.mode, model: f.model, fixEmb: f.fixEmb, docs, queries, create, fit,
          resumeDir: f.resume ? f.checkpointDir : undefined, out: f.out,
        });
        if (r.resumedAfter !== null) console.error(resumeMessage(f.checkpointDir!, r.resumedAfter, f.epochs, f.out));
        li = r.model.learnable;
        rep = r.report;
      } else {
        let resumeFrom: LearnableFitOptions['resumeFrom'];
        if (f.resume) {
          const r = LearnableIndex.resume(f.checkpointDir!);
          li = r.index;
          resumeFrom = r.state;
          console.error(resumeMessage(f.checkpointDir!, r.state.epochsDone, f.epochs, f.out));
        } else {
          li = await withStageProgress(initialIndexBars(create), (onProgress) => LearnableIndex.create({ ...create, docEmbeddings: docs, onProgress }));
        }
        const index = li;
        rep = await withProgress('training', 'batches', (onProgress) =>
          index.fitSync({ ...fit, queryEmbeddings: queries, docEmbeddings: docs, resumeFrom, onProgress }),
        );
        await interruptible(`writing ${f.out}`, () => index.save(f.out));
      }
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
  // Config keys: LearnableIndex.create's and fit's option names (fit's lr and freeze objects nest in the file).
  withConfig(cmd, {
    apiNames: {
      indexMethod: 'method', ivfCentersNum: 'ivfCenters', subvectorNum: 'subvectors', subvectorBits: 'bits', distMode: 'metric',
      lossMethod: 'loss', perQueryNegNum: 'neg', docScope: 'scope', codeAssignment: 'codes',
      'lr.codebooks': 'lrCodebooks', 'lr.centroids': 'lrCentroids', 'lr.rotation': 'lrRotation', 'freeze.rotation': 'freezeRotation',
    },
  });
}
