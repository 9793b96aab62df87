import { stat } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import {
  addBatches, describeIndex, writeIndexSync, type FactoryOptions, type Index,
} from '@libvq/index-core';
import { type Backend } from '@libvq/index-core/backend';
import { DEFAULT_METRIC, type MetricOrCosine } from '@libvq/index-core/util';
import { withConfig } from '../config.js';
import { interruptible } from '../interrupt.js';
import { withProgress, withStageProgress } from '../progress.js';
import { trainingBars } from '../training-bars.js';
import { defaultBatchRows, planIndexBuild, sampleVectors, type IndexBuildSpec, type VectorSource } from '@libvq/dataset';
import { METRIC_HELP, VECTORS_FORMATS, formatBytes, intOption, metricOption, openVectorsArg } from '../vectors-arg.js';

export interface BuildFlags {
  out: string;
  factory: string;
  metric: MetricOrCosine;
  seed: number;
  trainSize?: number;
  opqNiter?: number;
  opqTrainPoints?: number;
  batchRows?: number;
  column?: string;
  dim?: number;
  threads: number;
  backend: (typeof BACKEND_NAMES)[number];
}

/** indexFactory's training options from the OPQ flags (undefined: faiss's defaults, 50 iterations and 65,536 points). */
export function opqOptions(f: { opqNiter?: number; opqTrainPoints?: number }): FactoryOptions {
  if (f.opqNiter === undefined && f.opqTrainPoints === undefined) return {};
  return { opq: { niter: f.opqNiter, maxTrainPoints: f.opqTrainPoints } };
}

/** The index `libvq build` (and `libvq cluster build`) makes, from their shared flags. */
export function buildSpec(flags: BuildFlags): IndexBuildSpec {
  const { factory, metric, seed, trainSize, backend, threads } = flags;
  return { factory, metric, seed, trainSize, backend, threads, ...opqOptions(flags) };
}

/** Draws the seeded training sample and trains on it; the sample lives only in this call, so it is freed before the adds. */
async function trainOnSample(index: Index, factory: string, src: VectorSource, trainSize: number, seed: number): Promise<void> {
  const train = await withProgress(`reading ${trainSize} training vectors`, 'vectors', () => sampleVectors(src, trainSize, seed));
  await withStageProgress(trainingBars(factory), (onProgress) => index.trainSync(train, { seed, onProgress }));
}

/** The kernel backends the CLI offers (`--backend`), one option shared by build and search. */
export const BACKEND_NAMES = ['js', 'gpujs', 'native'] as const;
export function backendOption(): Option {
  return new Option(
    '--backend <name>',
    'kernels: js (WebAssembly SIMD), gpujs (gpu.js: WebGL through headless-gl where it is built, else its CPU mode), or native (the dense products — k-means, list assignment — on onnxruntime\'s native GEMM; same indexes within float rounding); see the index-core README',
  ).choices([...BACKEND_NAMES]).default('js');
}

/** ", backend gpujs (cpu)": which backend ran, and for gpujs the mode it chose; nothing for the default js. */
export function backendNote(b: Backend): string {
  return b.name === 'js' ? '' : `, backend ${b.name}${'mode' in b ? ` (${String(b.mode)})` : ''}`;
}

/** The options `libvq build` and `libvq cluster build` share: what index, trained how, on which file. */
export function addIndexBuildOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--factory <spec>', 'faiss factory string: (L2norm,)?(OPQ<M>[_<d>],)?(IVF<nlist>,)?(Flat|PQ<M>x<nbits>|PQ<M>x4fs[r]), e.g. "OPQ20,IVF1024,PQ20x8"; OPQ<M>_<d> also reduces the dimension to d (8 bytes on 100-d: "OPQ8_96,IVF1024,PQ8x8"); PQ<M>x4fs is 4-bit fast-scan (faiss\'s IVFPQFastScan; x4fsr: codes of residuals)')
    .option('--metric <m>', METRIC_HELP, metricOption, DEFAULT_METRIC)
    .option('--seed <n>', 'seed for every random choice (same seed, same index bytes)', intOption('--seed', 0, 0xffffffff), 1234)
    .option('--train-size <n>', "train on a seeded sample of this many vectors (default: faiss's rule, at most 256 per centroid: max(256·nlist, 256·2^nbits, 65536 with OPQ), capped at the file)", intOption('--train-size', 1))
    .option('--opq-niter <n>', "OPQ: alternating iterations of the rotation's training (faiss's niter; default 50)", intOption('--opq-niter', 1))
    .option('--opq-train-points <n>', "OPQ: training vectors the rotation is fitted on, a seeded sample of the training set (faiss's max_train_points; default 65536)", intOption('--opq-train-points', 1))
    .option('--batch-rows <n>', 'vectors read and added per batch (default: ~64 MB of float32)', intOption('--batch-rows', 1))
    .option('--column <name>', 'Arrow files: the vector column (default "embedding" or the only FixedSizeList<Float32> column)')
    .option('--dim <d>', '.memmap files: the vector dimension', intOption('--dim', 1))
    .option('--threads <n>', 'threads for k-means, PQ training and encoding (the index bytes are the same for any value)', intOption('--threads', 1, 256), 1)
    .addOption(backendOption());
}

export function registerBuild(program: Command): void {
  const cmd = program
    .command('build')
    .description('train an index on VECTORS, add them (ids = row numbers) and write it in faiss\'s .faiss format')
    .argument('<vectors>', `vectors to index: ${VECTORS_FORMATS}`)
    .requiredOption('-o, --out <index>', 'index file to write (.faiss; readable by faiss.read_index)');
  addIndexBuildOptions(cmd)
    .addHelpText(
      'after',
      `
Examples:
  libvq build docs.npy --factory "OPQ20,IVF1024,PQ20x8" --metric ip -o docs.faiss
  libvq build docs.embeddings.arrow --factory "IVF1024,PQ20x8" --metric cosine --train-size 100000 -o docs.faiss
  libvq build docs.npy --factory "OPQ20,IVF1024,PQ20x8" --opq-niter 10 --opq-train-points 16384 -o docs.faiss

IVF training needs at least nlist training vectors (faiss wants ~39 per list); PQ needs at least 2^nbits.
--metric cosine is faiss's way: an L2norm transform before an inner-product index (the file says "L2norm,...", ip).
Each training stage (OPQ rotation, IVF coarse quantizer, assignment of the PQ sample, PQ codebooks) and the adds
draw their own progress bar.`,
    )
    .action(async (path: string, flags: BuildFlags) => {
      const factory = flags.factory;
      // Streamed: the file is sampled once for training and added a batch at a time, so memory is the index
      // plus one batch (and the training sample), whatever the file's size.
      const src = await openVectorsArg(path, 'VECTORS', { dim: flags.dim, column: flags.column });
      try {
        const { index, trainSize } = planIndexBuild(src, buildSpec(flags));
        const t0 = performance.now();
        await trainOnSample(index, factory, src, trainSize, flags.seed);
        const t1 = performance.now();
        await withProgress('adding', 'vectors', (onProgress) =>
          addBatches(index, src.batches(flags.batchRows ?? defaultBatchRows(src.dim)), { total: src.rows, onProgress }),
        );
        const t2 = performance.now();
        await interruptible(`writing ${flags.out}`, () => writeIndexSync(index, flags.out));
        const bytes = (await stat(flags.out)).size;
        console.log(
          `${describeIndex(index)} (${flags.metric}, d = ${src.dim}${backendNote(index.backend)}): ntotal ${index.ntotal}, ${bytes} bytes (${formatBytes(bytes)}) -> ${flags.out}; ` +
            `trained on ${trainSize} in ${((t1 - t0) / 1000).toFixed(2)} s, added in ${((t2 - t1) / 1000).toFixed(2)} s`,
        );
      } finally {
        await src.close();
      }
    });
  // Config keys: indexFactory's (factory, metric, its options' opq.niter / opq.maxTrainPoints), index.train's (seed).
  withConfig(cmd, { apiNames: { 'opq.niter': 'opqNiter', 'opq.maxTrainPoints': 'opqTrainPoints' } });
}
