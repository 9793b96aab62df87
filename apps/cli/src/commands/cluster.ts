import { stat } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { LibvqError } from '@libvq/index-core';
import type * as Cluster from '@libvq/cluster';
import type * as ClusterJobs from '@libvq/cluster/jobs';
import { withConfig } from '../config.js';
import { withStageProgress, type StageBar } from '../progress.js';
import { trainingBars } from '../training-bars.js';
import { DEFAULT_MODEL, modelNames, resolveModel } from '../models/resolve-model.js';
import { VECTORS_FORMATS, formatBytes, intOption } from '../vectors-arg.js';
import { addIndexBuildOptions, backendOption, buildSpec, type BuildFlags } from './build.js';

/*
 * `libvq cluster build` enqueues a build on a BullMQ queue and follows it; `libvq worker` serves the queue's jobs.
 * Both need @libvq/cluster (BullMQ and its Redis client), which the single-machine commands never load: it is an
 * optional dependency, imported only here.
 */
async function loadCluster(): Promise<typeof Cluster & Pick<typeof ClusterJobs, 'describeQueue' | 'newRunId'>> {
  try {
    const jobs = await import('@libvq/cluster/jobs');
    return { ...(await import('@libvq/cluster')), describeQueue: jobs.describeQueue, newRunId: jobs.newRunId };
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new LibvqError('UNSUPPORTED', 'the cluster commands need @libvq/cluster (BullMQ + a Redis client), an optional package: npm i @libvq/cluster', { cause: e });
    }
    throw e;
  }
}

const REDIS_HELP = 'Redis URL: redis://[user[:password]@]host[:port][/db], rediss://... for TLS (default: $LIBVQ_REDIS_URL); the password is never printed';

function redisOption(): Option {
  return new Option('--redis <url>', REDIS_HELP).env('LIBVQ_REDIS_URL').makeOptionMandatory();
}

function queueOption(): Option {
  return new Option('--queue <name>', 'BullMQ queue: the enqueuer and its workers name the same one').default('libvq');
}

interface RunFlags {
  redis: string;
  queue: string;
  out: string;
  shardRows: number;
  workDir?: string;
  run?: string;
  attempts: number;
}

interface ClusterBuildFlags extends BuildFlags, RunFlags {}

interface ClusterEncodeFlags extends RunFlags {
  index: string;
  column?: string;
  dim?: number;
  backend?: string;
}

interface ClusterEmbedFlags extends RunFlags {
  model: string;
  query?: boolean;
}

interface ClusterLabelFlags extends RunFlags {
  index: string;
  queries: string;
  column?: string;
  dim?: number;
  negNum: number;
  nprobe?: number;
  queriesAreDocs?: boolean;
}

/** The options every cluster run takes: where the queue is, how the work is cut, retried and named. */
function addRunOptions(cmd: Command, rowsWhat: string): Command {
  return cmd
    .addOption(redisOption())
    .addOption(queueOption())
    .option('--shard-rows <n>', `${rowsWhat} per job`, intOption('--shard-rows', 1), 100_000)
    .option('--work-dir <dir>', 'where the run\'s intermediate files go, on the shared storage (default: <out>.run-<run>)')
    .option('--run <name>', 'name of the run (default: a fresh one); the name of an earlier run follows that run instead of starting another')
    .option('--attempts <n>', 'attempts per job before the run fails (exponential backoff between them)', intOption('--attempts', 1, 100), 3);
}

/**
 * RunOptions from the flags, with the CLI's warnings and its "no worker yet" line. The run is named here and the name
 * printed first, so an enqueuer stopped mid-run (Ctrl-C, a lost laptop) can be started again on the same run.
 */
function runOptions(c: Awaited<ReturnType<typeof loadCluster>>, flags: RunFlags, command: string) {
  const connection = { redis: flags.redis, queue: flags.queue };
  const run = flags.run ?? c.newRunId();
  console.error(`libvq cluster ${command}: run ${run} on ${c.describeQueue(connection)}${flags.run ? '' : ` (if this command stops, the run goes on: follow it again with --run ${run})`}`);
  let lastWorkers = -1;
  return {
    ...connection,
    out: flags.out,
    shardRows: flags.shardRows,
    workDir: flags.workDir,
    run,
    attempts: flags.attempts,
    onWarning: (line: string) => console.error(`libvq cluster: ${line}`),
    onWorkers: (n: number) => {
      if (n === 0 && lastWorkers !== 0) console.error(`libvq cluster: no worker is connected to ${c.describeQueue(connection)} yet; start some with \`libvq worker --redis URL\``);
      lastWorkers = n;
    },
  };
}

interface WorkerFlags {
  redis: string;
  queue: string;
  concurrency: number;
  lockMs: number;
}

/** The run's stages: the train job's own (as `libvq build` draws them), then the shards encoded, then the merge. */
function clusterBars(factory: string): StageBar {
  let train: StageBar | undefined;
  return (stage) => {
    if (stage === 'encode') return { label: 'encoding shards (all workers)', unit: 'vectors' };
    if (stage === 'label') return { label: 'searching queries (all workers)', unit: 'queries' };
    if (stage === 'embed') return { label: 'embedding lines (all workers)', unit: 'lines' };
    if (stage === 'merge' || stage?.endsWith('-merge') || /merge:/.test(stage ?? '')) return { label: 'merging shards', unit: 'rows' };
    if (stage === 'train:sample') return { label: 'reading the training sample', unit: 'vectors' };
    if (stage?.startsWith('train:')) return (train ??= trainingBars(factory))(stage.slice('train:'.length));
    return { label: 'waiting for a worker to train', unit: 'it' };
  };
}

export function registerCluster(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('run the batch work on many worker processes and machines (BullMQ jobs on Redis; see `libvq worker`)')
    .addHelpText(
      'after',
      `
Examples:
  libvq cluster build /shared/docs.npy --factory "IVF4096,PQ32x8" --redis redis://10.0.0.5:6379 -o /shared/docs.faiss

Needs the optional package @libvq/cluster (npm i @libvq/cluster) and a Redis with appendonly yes.`,
    );
  const build = cluster
    .command('build')
    .description('build an index like `libvq build`, on the workers of a queue: train once, encode shards of rows in parallel, merge (same seed, same bytes)')
    .argument('<vectors>', `vectors to index, on storage every worker reads at the same path: ${VECTORS_FORMATS}`)
    .requiredOption('-o, --out <index>', 'index file to write (.faiss), on the shared storage');
  addRunOptions(build, 'rows');
  addIndexBuildOptions(build)
    .addHelpText(
      'after',
      `
Examples:
  libvq cluster build /shared/docs.npy --factory "IVF4096,PQ32x8" --redis redis://10.0.0.5:6379 -o /shared/docs.faiss
  libvq cluster build /shared/docs.npy --factory "OPQ32,IVF4096,PQ32x8" --redis rediss://libvq:PASSWORD@redis.internal:6380/1 --shard-rows 1000000 -o /shared/docs.faiss

Start the workers first (\`libvq worker --redis URL\`, on every machine).
Every path (vectors, --out, --work-dir) must be the same on every worker. The index equals \`libvq build\`'s with
the same options, byte for byte, for any number of workers. Redis must keep its data across a restart
(appendonly yes) for a run to survive one.`,
    )
    .action(async (path: string, flags: ClusterBuildFlags) => {
      const c = await loadCluster();
      const r = await withStageProgress(clusterBars(flags.factory), (onProgress) =>
        c.buildOnCluster({ ...runOptions(c, flags, 'build'), vectors: { path, dim: flags.dim, column: flags.column }, spec: buildSpec(flags), onProgress }),
      );
      await printIndexRun(r, `trained on ${r.train!.trainSize} in ${r.train!.seconds.toFixed(2)} s, `);
    });
  withConfig(build, { apiNames: { 'opq.niter': 'opqNiter', 'opq.maxTrainPoints': 'opqTrainPoints' } });

  const encode = cluster
    .command('encode')
    .description('encode VECTORS into an index already trained (e.g. by `libvq train`: the re-encode write-back), on the workers of a queue: its entries are replaced by VECTORS, ids = row numbers')
    .argument('<vectors>', `vectors to encode, on the shared storage: ${VECTORS_FORMATS}`)
    .requiredOption('--index <file>', 'the trained index (.faiss), on the shared storage')
    .requiredOption('-o, --out <index>', 'index file to write (.faiss), on the shared storage')
    .option('--column <name>', 'Arrow files: the vector column')
    .option('--dim <d>', '.memmap files: the vector dimension', intOption('--dim', 1))
    .addOption(backendOption());
  addRunOptions(encode, 'rows')
    .addHelpText(
      'after',
      `
Examples:
  libvq cluster encode /shared/docs.npy --index trained/index.faiss --redis redis://10.0.0.5:6379 -o /shared/docs.faiss

The same bytes as reading the index, emptying it (reset) and adding every row in one process.`,
    )
    .action(async (path: string, flags: ClusterEncodeFlags) => {
      const c = await loadCluster();
      const r = await withStageProgress(clusterBars(''), (onProgress) =>
        c.encodeOnCluster({ ...runOptions(c, flags, 'encode'), vectors: { path, dim: flags.dim, column: flags.column }, index: flags.index, backend: flags.backend, onProgress }),
      );
      await printIndexRun(r, '');
    });
  withConfig(encode);

  const embed = cluster
    .command('embed')
    .description('embed a LibVQ collection (or queries) file with a text model on the workers of a queue: lines in shards through the model, one .npy in file order (row i = the i-th record)')
    .argument('<collection>', 'collection.tsv / {mode}-queries.tsv (id \\t text ...), on the shared storage')
    .requiredOption('-o, --out <file>', 'embeddings to write (.npy, float32), on the shared storage')
    .option('--model <name|dir>', `the text model, as every worker loads it: ${modelNames().join(', ')}, or a model directory on the shared storage`, DEFAULT_MODEL)
    .option('--query', 'embed with the query tower (a queries file)');
  addRunOptions(embed, 'lines')
    .addHelpText(
      'after',
      `
Examples:
  libvq cluster embed /shared/collection.tsv --model glove-100 --redis redis://10.0.0.5:6379 -o /shared/docs.npy
  libvq cluster embed /shared/train-queries.tsv --query --model /shared/models/minilm --shard-rows 50000 --redis redis://10.0.0.5:6379 -o /shared/train-queries.npy

Then: libvq cluster build /shared/docs.npy ... (the same bytes as encodeTexts in one process).`,
    )
    .action(async (path: string, flags: ClusterEmbedFlags) => {
      const c = await loadCluster();
      const r = await withStageProgress(clusterBars(''), (onProgress) =>
        c.embedOnCluster({ ...runOptions(c, flags, 'embed'), collection: path, model: flags.model, isQuery: flags.query === true, onProgress }),
      );
      console.log(`run ${r.run}: ${r.rows} records x ${r.dim}, ${formatBytes(r.bytes)} -> ${r.out}; ${r.shards} shards, ${r.wallSeconds.toFixed(2)} s in all; sha256 ${r.sha256}`);
    });
  withConfig(embed);

  const label = cluster
    .command('label')
    .description('mine virtual labels on the workers of a queue: the top 1 + NEG_NUM documents of every query in INDEX (LibVQ: the initial index), as a ranking file for `libvq train --virtual-labels`')
    .requiredOption('--index <file>', 'the index searched (.faiss), on the shared storage')
    .requiredOption('--queries <file>', `training query embeddings, on the shared storage: ${VECTORS_FORMATS}`)
    .requiredOption('-o, --out <file>', 'ranking file to write (.lvqr), on the shared storage')
    .option('--neg-num <n>', 'hard negatives per query (LibVQ: 399)', intOption('--neg-num', 0), 399)
    .option('--nprobe <n>', "IVF lists probed (default: the index's nprobe)", intOption('--nprobe', 1))
    .option('--queries-are-docs', "queries drawn from the indexed documents: keep one more id, so training can skip each query's own document")
    .option('--column <name>', 'Arrow files: the vector column')
    .option('--dim <d>', '.memmap files: the vector dimension', intOption('--dim', 1));
  addRunOptions(label, 'queries')
    .addHelpText(
      'after',
      `
Examples:
  libvq cluster label --index /shared/initial.faiss --queries /shared/train-queries.npy --nprobe 64 --redis redis://10.0.0.5:6379 -o /shared/labels.lvqr

Then: libvq train ... --virtual-labels /shared/labels.lvqr (the labels virtualLabels mines in one process from the same index).`,
    )
    .action(async (flags: ClusterLabelFlags) => {
      const c = await loadCluster();
      const r = await withStageProgress(clusterBars(''), (onProgress) =>
        c.labelOnCluster({
          ...runOptions(c, flags, 'label'), queries: { path: flags.queries, dim: flags.dim, column: flags.column }, index: flags.index,
          negNum: flags.negNum, nprobe: flags.nprobe, queriesAreDocs: flags.queriesAreDocs, onProgress,
        }),
      );
      console.log(`run ${r.run}: ${r.rows} queries x ${r.k} ranked ids, ${formatBytes(r.bytes)} -> ${r.out}; ${r.shards} shards, ${r.wallSeconds.toFixed(2)} s in all; sha256 ${r.sha256}`);
    });
  withConfig(label);
}

async function printIndexRun(r: Cluster.ClusterBuildResult, trained: string): Promise<void> {
  const bytes = (await stat(r.out)).size;
  console.log(
    `run ${r.run}: ntotal ${r.ntotal}, ${bytes} bytes (${formatBytes(bytes)}) -> ${r.out}; ${trained}` +
      `${r.shards} shards encoded and merged, ${r.wallSeconds.toFixed(2)} s in all; sha256 ${r.sha256}`,
  );
}

export function registerWorker(program: Command): void {
  const cmd = program
    .command('worker')
    .description('serve the jobs of `libvq cluster ...` runs from a BullMQ queue until stopped (Ctrl-C / SIGTERM finishes the running job first)')
    .addOption(redisOption())
    .addOption(queueOption())
    .option('--concurrency <n>', 'jobs run at once by this process (a job uses one core; start one worker per core instead for CPU work)', intOption('--concurrency', 1, 64), 1)
    .option('--lock-ms <n>', "a job's lock: if this worker dies, its job is run again elsewhere after this long", intOption('--lock-ms', 500), 30_000)
    .addHelpText(
      'after',
      `
Examples:
  libvq worker --redis redis://10.0.0.5:6379
  libvq worker --redis rediss://libvq:PASSWORD@redis.internal:6380/1 --queue nightly --lock-ms 60000

Run one per core you give to the work (a job uses one core), on every machine that sees the shared files.`,
    )
    .action(async (flags: WorkerFlags) => {
      const c = await loadCluster();
      const connection = { redis: flags.redis, queue: flags.queue };
      const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
      // Embed jobs name their model as the other commands take one: a built-in name or a model directory.
      const loadModel = async (name: string) => {
        const m = await resolveModel(name);
        return { encoder: await m.encoder(), tokenizer: await m.tokenizer() };
      };
      const w = await c.startWorker({ ...connection, concurrency: flags.concurrency, lockMs: flags.lockMs, log, loadModel });
      log(`worker ${process.pid} ready: ${c.describeQueue(connection)}`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          log(`worker ${process.pid}: ${signal}, finishing the running job`);
          void w.close().then(resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      log(`worker ${process.pid} stopped`);
    });
  withConfig(cmd);
}
