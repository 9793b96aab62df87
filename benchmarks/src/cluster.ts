/**
 * `pnpm bench cluster`: the distributed batch work on 1 and 2 worker processes (issue 14). A seeded 1,000,000 × 100
 * Gaussian mixture (.npy) and 100,000 held-out queries; one trained IVF1024,PQ20x8 (train job, not timed against
 * the workers); then, per worker count, the *built* `libvq worker` binary serving a real redis-server while this
 * process enqueues and follows: encode-into-index (`encodeOnCluster`, 50,000-row shards) and virtual-label mining
 * (`labelOnCluster`, top 100 at nprobe 16, 5,000-query shards). Reported: wall time, speed-up over 1 worker, the
 * seconds the jobs spent on their own work and the queue's overhead per job (wall × workers − job seconds −
 * merge, per job), the bytes of every run equal; and a serving replica's start-up (read + first search) on the
 * 10^6-vector index, in fresh processes. Writes cluster.{json,md} to --out.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LibvqError } from '@libvq/index-core';
import { writeFileAtomicSync } from '@libvq/index-core/util';
import { encodeOnCluster, labelOnCluster, type ClusterBuildResult, type ClusterLabelResult } from '@libvq/cluster';
import { runTrainJob } from '@libvq/cluster/jobs';
import { startRedis } from '@libvq/cluster/testing';
import { machineNote, sourceCommit } from './ann-report.js';
import { markdownTable, writeReportFile } from './report.js';
import { CLI } from './scale-systems.js';
import { writeSynthSet } from './synth-set.js';

interface Options {
  rows: number;
  queries: number;
  shardRows: number;
  labelShardRows: number;
  workers: number[];
  factory: string;
  trainSize: number;
  nprobe: number;
  negNum: number;
  seed: number;
  out: string;
}

function value(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function int(argv: string[], name: string, dflt: number): number {
  const v = value(argv, name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new LibvqError('INVALID_ARGUMENT', `${name}: expected a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

function parse(argv: string[]): Options {
  const quick = argv.includes('--quick');
  return {
    rows: int(argv, '--rows', quick ? 100_000 : 1_000_000),
    queries: int(argv, '--queries', quick ? 10_000 : 100_000),
    shardRows: int(argv, '--shard-rows', quick ? 10_000 : 50_000),
    labelShardRows: int(argv, '--label-shard-rows', quick ? 1_000 : 5_000),
    workers: (value(argv, '--workers') ?? '1,2').split(',').map(Number),
    factory: value(argv, '--factory') ?? 'IVF1024,PQ20x8',
    trainSize: int(argv, '--train-size', quick ? 50_000 : 100_000),
    nprobe: int(argv, '--nprobe', 16),
    negNum: int(argv, '--neg-num', 99),
    seed: int(argv, '--seed', 1234),
    out: resolve(value(argv, '--out') ?? 'bench-out'),
  };
}

interface RunRow {
  workers: number;
  work: 'encode' | 'label';
  jobs: number;
  wallSeconds: number;
  jobSeconds: number;
  overheadPerJobMs: number;
  speedup: number;
  sha256: string;
}

/** `libvq worker` processes of the built binary, resolved once each says it is ready. */
async function startWorkers(n: number, url: string, queue: string): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: n }, () => {
      const p = spawn(process.execPath, [CLI, 'worker', `--redis=${url}`, `--queue=${queue}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      return new Promise<ChildProcess>((res, rej) => {
        let log = '';
        p.stdout!.on('data', (d: Buffer) => {
          log += d.toString();
          if (log.includes('ready:')) res(p);
        });
        p.stderr!.on('data', (d: Buffer) => (log += d.toString()));
        p.once('exit', (code) => rej(new Error(`libvq worker exited (${code}):\n${log}`)));
      });
    }),
  );
}

function stop(ps: ChildProcess[]): Promise<void> {
  return Promise.all(ps.map((p) => new Promise<void>((r) => (p.exitCode !== null ? r() : (p.once('exit', () => r()), p.kill('SIGKILL')))))).then(() => undefined);
}

/** A fresh Node process reads the index and answers one query: what a serving replica costs to start. */
function replicaStartup(indexPath: string, queriesPath: string): { processMs: number; readMs: number; firstSearchMs: number } {
  const script = `
const t0 = performance.now();
const { readIndex } = await import('@libvq/index-core');
const { readVectors } = await import('@libvq/dataset');
const t1 = performance.now();
const index = await readIndex(${JSON.stringify(indexPath)});
const t2 = performance.now();
const q = (await readVectors(${JSON.stringify(queriesPath)})).matrix;
const one = { rows: 1, dim: q.dim, data: q.data.subarray(0, q.dim) };
const t3 = performance.now();
index.searchSync(one, { k: 10, nprobe: 16 });
const t4 = performance.now();
console.log(JSON.stringify({ importMs: t1 - t0, readMs: t2 - t1, firstSearchMs: t4 - t3 }));`;
  const t0 = performance.now();
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: resolve(CLI, '..', '..'), encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as { readMs: number; firstSearchMs: number };
  return { processMs: performance.now() - t0, readMs: r.readMs, firstSearchMs: r.firstSearchMs };
}

export async function main(argv: string[]): Promise<void> {
  const o = parse(argv);
  mkdirSync(o.out, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'libvq-bench-cluster-'));
  const redis = await startRedis();
  try {
    const base = join(dir, 'base.npy');
    const queries = join(dir, 'queries.npy');
    console.error(`writing ${o.rows.toLocaleString('en-US')} × 100 vectors and ${o.queries.toLocaleString('en-US')} queries (seed ${o.seed})`);
    await writeSynthSet({ rows: o.rows, queries: o.queries, dim: 100, components: 1000, seed: o.seed }, base, queries, undefined, 'npy');
    const t = performance.now();
    const trained = await runTrainJob({ vectors: { path: base }, spec: { factory: o.factory, metric: 'l2', seed: o.seed, trainSize: o.trainSize }, trainedPath: join(dir, 'trained.faiss') });
    console.error(`trained ${o.factory} on ${o.trainSize} vectors in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const rows: RunRow[] = [];
    let indexPath = '';
    for (const w of o.workers) {
      const queue = `bench-${w}`;
      const workers = await startWorkers(w, redis.url, queue);
      try {
        const out = join(dir, `encoded-${w}.faiss`);
        const enc: ClusterBuildResult = await encodeOnCluster({ redis: redis.url, queue, vectors: { path: base }, index: trained.path, out, shardRows: o.shardRows });
        rows.push(row(w, 'encode', enc.shards, enc.wallSeconds, enc.shardSeconds + enc.seconds, enc.sha256));
        indexPath ||= out;
        const lab: ClusterLabelResult = await labelOnCluster({
          redis: redis.url, queue, queries: { path: queries }, index: indexPath, negNum: o.negNum, nprobe: o.nprobe, out: join(dir, `labels-${w}.lvqr`), shardRows: o.labelShardRows,
        });
        rows.push(row(w, 'label', lab.shards, lab.wallSeconds, lab.shardSeconds + lab.seconds, lab.sha256));
      } finally {
        await stop(workers);
      }
      for (const r of rows.slice(-2)) console.error(`${w} worker(s) ${r.work}: ${r.wallSeconds.toFixed(1)} s wall, ${r.jobs} jobs, ${r.jobSeconds.toFixed(1)} s in jobs`);
    }
    for (const r of rows) {
      const one = rows.find((x) => x.work === r.work && x.workers === 1);
      r.speedup = one ? one.wallSeconds / r.wallSeconds : Number.NaN;
    }
    const startups = [0, 1, 2].map(() => replicaStartup(indexPath, queries));
    startups.sort((a, b) => a.processMs - b.processMs);
    const startup = startups[1];
    const identical = ['encode', 'label'].every((w) => new Set(rows.filter((r) => r.work === w).map((r) => r.sha256)).size === 1);
    const report = { benchmark: 'cluster', ...sourceCommit(), machine: machineNote(), options: o, indexBytes: readFileSync(indexPath).length, rows, identical, replicaStartup: startup };
    writeFileAtomicSync(join(o.out, 'cluster.json'), [JSON.stringify(report, null, 2)]);
    const md = [
      `# Cluster benchmark: ${o.rows.toLocaleString('en-US')} × 100 vectors on 1 and 2 \`libvq worker\` processes (BullMQ on a local redis-server)`,
      '',
      `Commit ${report.commit}, ${report.machine.cpus} CPUs. \`${o.factory}\` trained once on ${o.trainSize.toLocaleString('en-US')} vectors; encode-into-index in ${o.shardRows.toLocaleString('en-US')}-row jobs, ` +
        `label mining (top ${1 + o.negNum} of ${o.queries.toLocaleString('en-US')} queries at nprobe ${o.nprobe}) in ${o.labelShardRows.toLocaleString('en-US')}-query jobs. ` +
        `Job seconds: what the jobs report for their own work (read, encode or search, write), merge included. ` +
        `Overhead per job = (wall × workers − job seconds) / jobs: queueing, polling, and idle workers at the end. Outputs byte-identical across worker counts: ${identical ? 'yes' : '**no**'}.`,
      '',
      markdownTable(
        ['work', 'workers', 'jobs', 'wall s', 'job s', 'speed-up', 'overhead / job ms'],
        rows.map((r) => [r.work, r.workers, r.jobs, r.wallSeconds.toFixed(1), r.jobSeconds.toFixed(1), r.speedup.toFixed(2), r.overheadPerJobMs.toFixed(0)]),
      ),
      '',
      `Serving replica start-up on the ${o.rows.toLocaleString('en-US')}-vector index (${(report.indexBytes / 1e6).toFixed(1)} MB), a fresh Node process, median of 3: ` +
        `read ${startup.readMs.toFixed(0)} ms, first search ${startup.firstSearchMs.toFixed(0)} ms, whole process (start, import, read, search, exit) ${startup.processMs.toFixed(0)} ms.`,
      '',
    ].join('\n');
    writeReportFile(join(o.out, 'cluster.md'), md);
    console.log(md);
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(workers: number, work: 'encode' | 'label', jobs: number, wall: number, jobSeconds: number, sha256: string): RunRow {
  return { workers, work, jobs, wallSeconds: wall, jobSeconds, overheadPerJobMs: ((wall * workers - jobSeconds) / (jobs + 1)) * 1000, speedup: Number.NaN, sha256 };
}
