import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { LibvqError } from '@libvq/index-core';
import { compareQuantizers, type CompareMethod } from '@libvq/train';
import { CORPUS_SCOPE_MAX_DOCUMENTS, describeLabelMining, planTraining } from '@libvq/train/fit';
import { withConfig } from '../config.js';
import { interruptible } from '../interrupt.js';
import { withStageProgress } from '../progress.js';
import { intListOption, intOption, positiveNumberOption } from '../vectors-arg.js';
import { prepareDemoData } from '../demo/prepare.js';
import { DEFAULT_MODEL } from '../models/resolve-model.js';
import { markdownTable, writeDemoOutputs } from '../demo/report.js';

/** The rows the demo trains per byte budget (the benchmark adds more: see benchmarks/src/train-cranfield.ts). */
const DEMO_METHODS: CompareMethod[] = ['pq', 'opq', 'distill-index', 'distill-encoder'];

/** The @libvq/cli package directory: the nearest ancestor of this module with a package.json (src/commands or dist). */
function cliPackageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new LibvqError('IO', `libvq demo: cannot find the @libvq/cli package directory above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

/** The embedded default: Cranfield, shipped inside @libvq/cli (data/cranfield), so clones and npm installs both have it. */
export function defaultDemoData(): string {
  const dir = join(cliPackageDir(), 'data', 'cranfield');
  if (!existsSync(join(dir, 'collection.tsv'))) {
    throw new LibvqError('IO', `the default demo data (${dir}, shipped with @libvq/cli) is missing: reinstall the package, or give --data DIR (a LibVQ-layout directory)`);
  }
  return dir;
}

interface DemoFlags {
  data?: string;
  out: string;
  bytes: number[];
  epochs: number;
  maxDocLength: number;
  maxQueryLength: number;
  cacheDir?: string;
  threads: number;
  model: string;
  trainLayers: string;
  lrEncoder: number;
}

/**
 * OPQ's training on a large corpus: 10 alternating iterations on 16,384 documents instead of faiss's 50 on 65,536,
 * a sixth of the time (benchmarks/results/opq-train-time.md), so that the demo on a 10^5-document collection
 * finishes in minutes. It costs OPQ a little: on debdesc R@100 0.087 / 0.153 at 4 / 10 bytes against 0.093 / 0.163
 * with faiss's settings (`pnpm bench debdesc` uses those); the learned rows start from the same OPQ index, so the
 * demo's comparison stays like for like. Small corpora keep faiss's defaults.
 */
const LARGE_CORPUS_OPQ = { niter: 10, maxTrainPoints: 16_384 } as const;

export function registerDemo(program: Command): void {
  const cmd = program
    .command('demo')
    .description(`the whole LibVQ pipeline on real data: preprocess, encode (${DEFAULT_MODEL}), build PQ / OPQ, train learned indexes, evaluate, report`)
    .option('--data <dir>', 'a LibVQ-layout directory (collection.tsv, dev-queries.tsv, dev-rels.tsv, optionally train-*) (default: Cranfield)')
    .option('--out <dir>', 'where results.json, report.md, chart.svg, training.svg (and the work/ files) go', 'demo-out')
    .option('--bytes <list>', 'bytes per vector to compare (8-bit sub-vector codes; a budget that does not divide the dimension reduces it in the OPQ rotation, e.g. OPQ8_96)', intListOption('--bytes', 1), [4, 10])
    .option('--epochs <n>', 'training epochs of each learned index', intOption('--epochs', 1), 10)
    .option('--max-doc-length <n>', 'tokens per document', intOption('--max-doc-length', 2), 1024)
    .option('--max-query-length <n>', 'tokens per query (and per pseudo-query)', intOption('--max-query-length', 2), 64)
    .option('--cache-dir <dir>', `where ${DEFAULT_MODEL} is generated (default $LIBVQ_CACHE_DIR, else ~/.cache/libvq)`)
    .option('--model <name|dir>', `the model that encodes and whose query tower trains: ${DEFAULT_MODEL} (its word vectors train) or a model directory (see --train-layers)`, DEFAULT_MODEL)
    .option('--train-layers <which>', "for a model directory: head (a linear head over the frozen ONNX model) or the transformer's own weights (a BERT-family model): all, embeddings-frozen, top-K", 'head')
    .option('--lr-encoder <x>', "AdamW rate of the transformer's weights (default LibVQ's 1e-5)", positiveNumberOption('--lr-encoder'), 1e-5)
    .option('--threads <n>', 'threads of index training, adds and searches (the figures are the same for any value) (default: the cores, at most 8)', intOption('--threads', 1, 256), Math.min(8, availableParallelism()))
    .addHelpText(
      'after',
      `
Rows per byte budget: unsupervised PQ and OPQ (faiss's algorithms), then OPQ learned by distilling the dense
ranking — the index only (virtual labels from the initial index), and the index with the query encoder
trained jointly — plus the dense row. Scored with MRR@10, R@100 and nDCG@10 on the judged dev queries.

Examples:
  libvq demo
  libvq demo --data my-collection --out my-demo --bytes 5,10,20 --epochs 4
  libvq demo --model my-bert/ --train-layers all --max-doc-length 512`,
    )
    .action(async (f: DemoFlags) => {
      const bytes = f.bytes;
      const dataDir = f.data ?? defaultDemoData();
      for (const file of ['collection.tsv', 'dev-queries.tsv', 'dev-rels.tsv']) {
        if (!existsSync(join(dataDir, file))) throw new LibvqError('IO', `--data ${dataDir}: no ${file} there (the demo needs LibVQ's layout: collection.tsv, dev-queries.tsv, dev-rels.tsv, optionally train-*)`);
      }
      const out = resolve(f.out);
      const t0 = performance.now();
      // Ctrl-C aborts at the next step boundary; every file is written through a temporary name, so the
      // outputs are either complete or absent.
      await interruptible('running the demo', async (signal) => {
        const d = await prepareDemoData({ dataDir, model: f.model, trainLayers: f.trainLayers, lrEncoder: f.lrEncoder, workDir: join(out, 'work'), maxDocLength: f.maxDocLength, maxQueryLength: f.maxQueryLength, cacheDir: f.cacheDir, signal });
        // Settings that fit the corpus (whole-corpus distillation on small collections, in-batch + hard negatives on
        // large ones), said before the long part starts.
        const plan = planTraining({ documents: d.docs.rows, trainingQueries: d.trainQueries.rows, epochs: f.epochs });
        const opq = d.docs.rows > CORPUS_SCOPE_MAX_DOCUMENTS ? LARGE_CORPUS_OPQ : undefined;
        console.error(`3/5 training plan for ${d.docs.rows} documents and ${d.trainQueries.rows} training queries (${f.threads} threads):`);
        for (const r of plan.reasons) console.error(`    ${r}`);
        if (opq) console.error(`    OPQ: ${opq.niter} iterations on ${opq.maxTrainPoints} documents (faiss's 50 on 65,536 take ~6x as long; the learned rows start from this OPQ)`);
        let rows;
        try {
          rows = await compareQuantizers(
            {
              docs: d.docs, trainQueries: d.trainQueries, trainTokens: d.trainTokens, devQueries: d.devQueries, devTokens: d.devTokens, devRels: d.devRels,
              encoder: d.encoder, makeQueryTower: () => d.makeTower({ lrEmbeddings: 1e-3 }),
            },
            {
              bytes, methods: DEMO_METHODS, epochs: f.epochs, plan, threads: f.threads, opq, maxQueryLength: f.maxQueryLength, signal,
              // a learned row's fit reports its virtual labels ('labels', queries) before its steps: a bar each
              stage: (label, run) => withStageProgress((s) => (s === 'labels' ? { label: `3/5 ${label}: virtual labels`, unit: 'queries' } : { label: `3/5 ${label}`, unit: 'steps' }), run),
              onRow: (r) => {
                console.error(`4/5 ${String(r.bytes).padStart(3)} B  ${r.method.padEnd(46)} MRR@10 ${r.mrr10.toFixed(3)}  R@100 ${r.recall100.toFixed(3)}  nDCG@10 ${r.ndcg10.toFixed(3)}`);
                if (r.labels) console.error(`            ${describeLabelMining(r.labels)}`);
              },
            },
          );
        } finally {
          await d.encoder.dispose();
        }
        const seconds = (performance.now() - t0) / 1000;
        const header =
          `# libvq demo: ${d.docs.rows} documents, ${d.model} (d = ${d.docs.dim}), ${d.devRels.size} judged dev queries\n\n` +
          `Data: ${dataDir}. Training queries: ${d.trainQueryCount} train queries + ${d.docs.rows} document pseudo-queries ` +
          `(first ${f.maxQueryLength} tokens), ${plan.epochs} epochs, document scope ${plan.docScope}` +
          `${plan.docScope === 'batch' ? ` (batch ${plan.batchSize}, ${plan.perQueryNegNum} hard negatives per query)` : ''}` +
          `${opq ? `, OPQ ${opq.niter} iterations on ${opq.maxTrainPoints} documents` : ''}; dev queries are never trained on. Total ${seconds.toFixed(0)} s.`;
        const paths = await writeDemoOutputs(out, rows, header);
        console.error(`5/5 wrote ${[paths.results, paths.report, paths.chart, paths.training].filter((p) => p !== null).join(', ')}`);
        console.log(`\n${header}\n\n${markdownTable(rows)}`);
      });
    });
  // Config keys: prepareDemoData's dataDir, compareQuantizers' bytes / epochs / maxQueryLength, and the rest.
  withConfig(cmd, { apiNames: { dataDir: 'data' }, lists: { bytes: ',' } });
}
