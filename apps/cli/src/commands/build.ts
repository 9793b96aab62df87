import { stat } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import {
  LibvqError, addBatches, checkTrainingSize, defaultTrainingSize, describeIndex, indexFactory, writeIndexSync, type Index, type Metric,
} from '@libvq/index-core';
import { type Backend } from '@libvq/index-core/backend';
import { methodToFactory, type IndexMethod } from '@libvq/train';
import { withConfig } from '../config.js';
import { interruptible } from '../interrupt.js';
import { withProgress, withStageProgress } from '../progress.js';
import { trainingBars } from '../training-bars.js';
import { defaultBatchRows, sampleVectors, type VectorSource } from '@libvq/dataset';
import { VECTORS_FORMATS, formatBytes, intOption, metricOption, openVectorsArg } from '../vectors-arg.js';

const METHODS: readonly IndexMethod[] = ['flat', 'ivf', 'ivf_pq', 'ivf_opq', 'pq', 'opq'];

interface BuildFlags {
  out: string;
  factory?: string;
  method?: string;
  ivfCenters?: number;
  subvectors?: number;
  bits?: number;
  metric: Metric;
  seed: number;
  trainSize?: number;
  batchRows?: number;
  column?: string;
  dim?: number;
  threads: number;
  backend: 'js' | 'gpujs';
}

/** The factory string from --factory, or from LibVQ's --method and its parameters (exactly one of the two). */
export function factoryFromFlags(f: BuildFlags): string {
  const methodFlags = f.ivfCenters !== undefined || f.subvectors !== undefined || f.bits !== undefined;
  if (f.factory !== undefined) {
    if (f.method !== undefined || methodFlags) {
      throw new LibvqError('INVALID_ARGUMENT', '--factory cannot be combined with --method/--ivf-centers/--subvectors/--bits: give one or the other');
    }
    return f.factory;
  }
  if (f.method === undefined) throw new LibvqError('INVALID_ARGUMENT', 'give the index as --factory "IVF1024,PQ20x8" or as --method ivf_pq --ivf-centers 1024 --subvectors 20');
  if (!(METHODS as readonly string[]).includes(f.method)) {
    throw new LibvqError('INVALID_ARGUMENT', `--method: expected one of ${METHODS.join(', ')}, got "${f.method}"`);
  }
  return methodToFactory({ indexMethod: f.method as IndexMethod, ivfCentersNum: f.ivfCenters, subvectorNum: f.subvectors, subvectorBits: f.bits });
}

/** Draws the seeded training sample and trains on it; the sample lives only in this call, so it is freed before the adds. */
async function trainOnSample(index: Index, factory: string, src: VectorSource, trainSize: number, seed: number): Promise<void> {
  const train = await withProgress(`reading ${trainSize} training vectors`, 'vectors', () => sampleVectors(src, trainSize, seed));
  await withStageProgress(trainingBars(factory), (onProgress) => index.trainSync(train, { seed, onProgress }));
}

/** ", backend gpujs (cpu)": which backend ran, and for gpujs the mode it chose; nothing for the default js. */
export function backendNote(b: Backend): string {
  return b.name === 'js' ? '' : `, backend ${b.name}${'mode' in b ? ` (${String(b.mode)})` : ''}`;
}

export function registerBuild(program: Command): void {
  const cmd = program
    .command('build')
    .description('train an index on VECTORS, add them (ids = row numbers) and write it in faiss\'s .faiss format')
    .argument('<vectors>', `vectors to index: ${VECTORS_FORMATS}`)
    .requiredOption('-o, --out <index>', 'index file to write (.faiss; readable by faiss.read_index)')
    .option('--factory <spec>', 'faiss factory string: (OPQ<M>,)?(IVF<nlist>,)?(Flat|PQ<M>x<nbits>)')
    .option('--method <name>', `LibVQ index_method instead of --factory: ${METHODS.join(', ')}`)
    .option('--ivf-centers <n>', 'with --method: IVF lists (nlist)', intOption('--ivf-centers', 1))
    .option('--subvectors <n>', 'with --method: PQ sub-vectors M (must divide the dimension)', intOption('--subvectors', 1))
    .option('--bits <n>', 'with --method: bits per sub-vector code', intOption('--bits', 1, 8))
    .option('--metric <m>', 'ip (inner product) or l2', metricOption, 'ip' as Metric)
    .option('--seed <n>', 'seed for every random choice (same seed, same index bytes)', intOption('--seed', 0, 0xffffffff), 1234)
    .option('--train-size <n>', "train on a seeded sample of this many vectors (default: faiss's rule, at most 256 per centroid: max(256·nlist, 256·2^nbits, 65536 with OPQ), capped at the file)", intOption('--train-size', 1))
    .option('--batch-rows <n>', 'vectors read and added per batch (default: ~64 MB of float32)', intOption('--batch-rows', 1))
    .option('--column <name>', 'Arrow files: the vector column (default "embedding" or the only FixedSizeList<Float32> column)')
    .option('--dim <d>', '.memmap files: the vector dimension', intOption('--dim', 1))
    .option('--threads <n>', 'threads for k-means, PQ training and encoding (the index bytes are the same for any value)', intOption('--threads', 1, 256), 1)
    .addOption(new Option('--backend <name>', 'kernels: js, or gpujs (gpu.js: WebGL through headless-gl where it is built, else its CPU mode; see the index-core README)').choices(['js', 'gpujs']).default('js'))
    .addHelpText(
      'after',
      `
Examples:
  libvq build docs.npy --factory "OPQ20,IVF1024,PQ20x8" --metric ip -o docs.faiss
  libvq build docs.embeddings.arrow --method ivf_opq --ivf-centers 1024 --subvectors 20 --bits 8 --train-size 100000 -o docs.faiss

IVF training needs at least nlist training vectors (faiss wants ~39 per list); PQ needs at least 2^bits.`,
    )
    .action(async (path: string, flags: BuildFlags) => {
      const factory = factoryFromFlags(flags);
      // Streamed: the file is sampled once for training and added a batch at a time, so memory is the index
      // plus one batch (and the training sample), whatever the file's size.
      const src = await openVectorsArg(path, 'VECTORS', { dim: flags.dim, column: flags.column });
      try {
        if (src.rows === 0) throw new LibvqError('INSUFFICIENT_DATA', `VECTORS ${path}: the file holds no vectors; nothing to train on or index`);
        if (flags.trainSize !== undefined && flags.trainSize > src.rows) {
          throw new LibvqError('INVALID_ARGUMENT', `--train-size: ${flags.trainSize} exceeds the ${src.rows} vectors in ${path}`);
        }
        // Built before training so a bad factory or an M that does not divide d fails before any work.
        const index = indexFactory(src.dim, factory, flags.metric, flags.backend);
        index.threads = flags.threads;
        const trainSize = Math.min(src.rows, flags.trainSize ?? defaultTrainingSize(index));
        // Before the sample is read: a set too small for a stage fails now, not after the stages before it.
        checkTrainingSize(index, trainSize);
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
  // Config keys: indexFactory's (factory, metric), index.train's (seed), methodToFactory's (LibVQ's names).
  withConfig(cmd, { apiNames: { indexMethod: 'method', ivfCentersNum: 'ivfCenters', subvectorNum: 'subvectors', subvectorBits: 'bits' } });
}
