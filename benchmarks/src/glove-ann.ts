/**
 * ANN benchmark (`pnpm bench glove`, `pnpm bench synth`): libvq-ts against Debian's faiss and LanceDB on
 * the same vectors, same factory strings, same nprobe sweep, in the same run. Data sets: GloVe-100 (the
 * protocol of shared/data/README.md) or the synthetic 1,000,000 × 100 Gaussian mixture (synth-set.ts).
 * Every system runs in a child process of its own (its peak RSS is its own); the parent prepares the
 * vector files and the exact ground truth and scores everyone against it.
 * Writes <dataset>-ann[-quick].{json,md,svg} to --out (default bench-out/).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBackend } from '@libvq/index-core/backend';
import { LibvqError, parseFactory } from '@libvq/index-core';
import { type AnnData, prepareGlove, prepareSynth } from './ann-datasets.js';
import { flagValue, intArg, intListArg } from './bench-args.js';
import { annMarkdown, machineNote, sourceCommit, type AnnResult, type ScoredRun } from './ann-report.js';
import { runFaiss } from './faiss-runner.js';
import { runLanceInChild } from './lancedb-runner.js';
import { annRecall } from './metrics.js';
import { runOurs } from './ours-runner.js';
import type { ChildCode } from './built-child.js';
import { annPoints, recallQpsSvg } from './plot.js';
import { writeReportFile } from './report.js';
import type { SystemRun, SystemSpec } from './system-run.js';

export interface AnnOptions {
  dataset: 'glove' | 'synth1m';
  quick: boolean;
  factories: string[];
  nprobes: number[];
  rows?: number;
  queries?: number;
  dim?: number;
  components?: number;
  out: string;
  seed: number;
  skipFaiss: boolean;
  /** LanceDB IVF_PQ side by side (IVF-PQ factories only); on unless --skip-lancedb. */
  lancedb: boolean;
  /** Threads of libvq-ts (train, add, search, the brute-force ground truth) and of faiss (OpenMP), default 1; LanceDB stays single-threaded. */
  threads: number;
  /** libvq-ts kernel backends, one row each (default js). */
  backends: string[];
  /** How the libvq-ts and LanceDB children run: the built packages under plain node (default, what users run) or the sources through tsx. */
  code: ChildCode;
  /** OPQ training budget, the same for libvq-ts and faiss. */
  opq?: { niter?: number; maxTrainPoints?: number };
}

/**
 * --quick, CI-sized (a few minutes on 2 cores with every system): the first 20,000 base vectors and 200
 * queries, IVF256, OPQ trained for 10 iterations on 10,000 points (both systems), nprobe 4 / 16 / 64.
 */
const QUICK = { rows: { glove: 20_000, synth1m: 50_000 }, queries: 200, nlist: 256, nprobes: '4,16,64', opq: { niter: 10, maxTrainPoints: 10_000 } };

export function parseArgs(argv: string[]): AnnOptions {
  const get = (name: string) => flagValue(argv, name);
  const quick = argv.includes('--quick');
  const dataset = get('--dataset') ?? 'glove';
  if (dataset !== 'glove' && dataset !== 'synth1m') throw new LibvqError('INVALID_ARGUMENT', `--dataset: expected glove or synth1m, got ${JSON.stringify(dataset)}`);
  const nlist = quick ? QUICK.nlist : 1024;
  const nprobes = intListArg('--nprobes', get('--nprobes') ?? (quick ? QUICK.nprobes : '8,32,128'), 1, 1 << 20);
  const opqNiter = intArg('--opq-niter', get('--opq-niter'), 1, 1000);
  const opqPoints = intArg('--opq-train-points', get('--opq-train-points'), 256, 1 << 30);
  const opq = quick || opqNiter !== undefined || opqPoints !== undefined
    ? { niter: opqNiter ?? (quick ? QUICK.opq.niter : undefined), maxTrainPoints: opqPoints ?? (quick ? QUICK.opq.maxTrainPoints : undefined) }
    : undefined;
  const backends = (get('--backends') ?? 'js').split(',').map((s) => s.trim());
  for (const b of backends) getBackend(b); // an unknown name fails now, with the registry's list, before any work
  const code = get('--code') ?? 'built';
  if (code !== 'built' && code !== 'source') throw new LibvqError('INVALID_ARGUMENT', `--code: expected built or source, got ${JSON.stringify(code)}`);
  return {
    dataset,
    quick,
    factories: (get('--factories') ?? `IVF${nlist},PQ20x8;OPQ20,IVF${nlist},PQ20x8`).split(';'),
    nprobes,
    rows: intArg('--rows', get('--rows'), 1, 1e9) ?? (quick ? QUICK.rows[dataset] : undefined),
    queries: intArg('--queries', get('--queries'), 1, 1e6) ?? (quick ? QUICK.queries : undefined),
    dim: intArg('--dim', get('--dim'), 1, 65536),
    components: intArg('--components', get('--components'), 1, 1e7),
    out: get('--out') ?? 'bench-out',
    seed: intArg('--seed', get('--seed'), 0, 0xffffffff) ?? 1234,
    skipFaiss: argv.includes('--skip-faiss'),
    lancedb: argv.includes('--lancedb') || !argv.includes('--skip-lancedb'),
    threads: intArg('--threads', get('--threads') ?? '1', 1, 256)!,
    backends,
    code,
    opq,
  };
}

/** nlist and M of an IVF-PQ factory without OPQ (what LanceDB can build), else undefined. */
function lanceShape(factory: string): { nlist: number; M: number } | undefined {
  const spec = parseFactory(factory);
  if (spec.transforms.length > 0 || !spec.ivf || spec.code.kind !== 'PQ') return undefined;
  return { nlist: spec.ivf.nlist, M: spec.code.M };
}

function plotTitle(data: Pick<AnnData, 'name' | 'rows' | 'dim' | 'queries'>, threads: number): string {
  const set = data.name === 'glove' ? 'GloVe-100' : `Synthetic Gaussian mixture, ${data.dim}-d`;
  return `${set}: ${data.rows.toLocaleString('en')} base, ${data.queries} queries, libvq-ts ${threads === 1 ? 'single thread' : `${threads} threads`}`;
}

function score(run: SystemRun, data: AnnData, k: number): ScoredRun {
  const { runs, ...rest } = run;
  return {
    ...rest,
    runs: runs.map(({ labels, ...r }) => ({ ...r, qps: data.queries / r.seconds, ...annRecall(labels, k, data.truth, data.k) })),
  };
}

/** Redraws a report's plot from its JSON (the figures are in `results`). */
export async function plotOfReport(report: { dataset: Pick<AnnData, 'name' | 'rows' | 'dim' | 'queries'>; options: { threads: number }; results: AnnResult[] }): Promise<string> {
  return recallQpsSvg(annPoints(report.results), plotTitle(report.dataset, report.options.threads));
}

export async function main(argv: string[]): Promise<void> {
  const opts = parseArgs(argv);
  const k = 100;
  const loadStart = machineNote();
  const { commit, uncommitted } = sourceCommit();
  const work = await mkdtemp(join(tmpdir(), 'libvq-bench-ann-'));
  try {
    console.error(`preparing ${opts.dataset}${opts.quick ? ' (quick)' : ''}...`);
    const dataOpts = { seed: opts.seed, k, rows: opts.rows, queries: opts.queries, dim: opts.dim, components: opts.components, threads: opts.threads };
    if (opts.dataset === 'glove' && (opts.dim !== undefined || opts.components !== undefined)) {
      throw new LibvqError('INVALID_ARGUMENT', '--dim and --components describe the synthetic set; GloVe-100 has its own (use --dataset synth1m)');
    }
    const data = opts.dataset === 'glove' ? await prepareGlove(work, dataOpts) : await prepareSynth(work, dataOpts);
    console.error(`${data.description}${data.exact ? `; exact ground truth ${data.exact.seconds.toFixed(1)} s` : ''}`);
    const results: AnnResult[] = [];
    for (const factory of opts.factories) {
      const spec: SystemSpec = {
        basePath: data.basePath, queriesPath: data.queriesPath, dim: data.dim, metric: data.metric, factory,
        nprobes: opts.nprobes, k, threads: 1, seed: opts.seed, opq: opts.opq,
      };
      const systems: ScoredRun[] = [];
      for (const backend of opts.backends) {
        console.error(`libvq-ts (${backend}) ${factory}...`);
        systems.push(score(await runOurs({ ...spec, threads: opts.threads, backend }, commit, opts.code), data, k));
      }
      if (!opts.skipFaiss) {
        console.error(`faiss ${factory}...`);
        systems.push(score(await runFaiss({ ...spec, threads: opts.threads }), data, k));
      }
      // LanceDB has no OPQ: only plain IVF-PQ factories get a LanceDB run, with the same nlist and M.
      const shape = lanceShape(factory);
      if (opts.lancedb && shape) {
        console.error(`LanceDB IVF_PQ nlist ${shape.nlist}, M ${shape.M}...`);
        systems.push(score(await runLanceInChild({ ...spec, ...shape }, opts.code), data, k));
      }
      results.push({ factory, systems });
    }
    const stem = `${data.name}-ann${opts.quick ? '-quick' : ''}`;
    const report = { date: new Date().toISOString(), commit, uncommitted, command: `pnpm bench glove ${argv.join(' ')}`.trim(), machine: { start: loadStart, end: machineNote() }, options: opts, dataset: { ...data, truth: undefined, basePath: undefined, queriesPath: undefined }, results };
    const md = annMarkdown(report, `${stem}.svg`);
    console.log(md);
    writeReportFile(join(opts.out, `${stem}.json`), JSON.stringify(report, null, 2));
    writeReportFile(join(opts.out, `${stem}.md`), md);
    writeReportFile(join(opts.out, `${stem}.svg`), await plotOfReport(report));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
