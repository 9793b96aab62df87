/**
 * Interleaved rounds (issue 17's fast-scan goal on a shared machine): faiss's 8-bit IVF-PQ against libvq-ts's
 * fast-scan on GloVe-100, each system's index built once, then round after round each system searches in a fresh
 * process, one after the other, so that a slow minute of the machine falls on both. Reports every round, the
 * medians, and for each faiss nprobe the fastest libvq-ts setting (any backend, any nprobe of the sweep) at equal
 * or better 10-R@100, with its speed ratio per round and of the medians.
 *
 *   pnpm bench glove-rounds [--rounds 3] [--threads 1] [--factory F] [--reference F] [--nprobes N,..]
 *                           [--reference-nprobes N,..] [--same-index] [--out DIR]
 *
 * With --same-index, faiss searches the index libvq-ts built (read from its file), so both systems do the same work
 * on the same codes; the report then also compares them at each nprobe both ran (issue 17's 8-bit goal: equal
 * factories, same nprobe).
 *
 * Writes glove-rounds.{json,md} to --out (default bench-out/).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LibvqError } from '@libvq/index-core';
import { getBackend } from '@libvq/index-core/backend';
import { prepareGlove } from './ann-datasets.js';
import { machineNote, sourceCommit } from './ann-report.js';
import { flagValue, intArg, intListArg } from './bench-args.js';
import { runFaissScript } from './faiss-runner.js';
import { annRecall } from './metrics.js';
import { markdownTable, writeReportFile } from './report.js';
import type { RoundsResult, RoundsSpec } from './rounds-child.js';
import { runTsChild } from './ts-child.js';

const K = 100;

interface Options {
  rounds: number;
  threads: number;
  factory: string;
  reference: string;
  nprobes: number[];
  referenceNprobes: number[];
  backends: string[];
  /** faiss searches libvq-ts's index file instead of building its own (--same-index). */
  sameIndex: boolean;
  seed: number;
  out: string;
}

export function parseArgs(argv: string[]): Options {
  const get = (flag: string) => flagValue(argv, flag);
  const backends = (get('--backends') ?? 'js,native').split(',').map((b) => b.trim());
  for (const b of backends) getBackend(b); // an unknown name fails now, with the registry's list, before any work
  if (argv.includes('--same-index') && get('--reference') !== undefined) {
    throw new LibvqError('INVALID_ARGUMENT', 'glove-rounds: --same-index has faiss search the index libvq-ts builds (--factory); --reference names an index for faiss to build instead: pass one or the other');
  }
  return {
    rounds: intArg('--rounds', get('--rounds'), 1, 100) ?? 3,
    threads: intArg('--threads', get('--threads'), 1, 256) ?? 1,
    factory: get('--factory') ?? 'IVF1024,PQ50x4fsr',
    reference: get('--reference') ?? 'IVF1024,PQ20x8',
    nprobes: intListArg('--nprobes', get('--nprobes') ?? '8,9,10,12,13,14,16,18,20,21,22,24,28,32', 1, 1 << 20),
    referenceNprobes: intListArg('--reference-nprobes', get('--reference-nprobes') ?? '8,16,32', 1, 1 << 20),
    backends,
    sameIndex: argv.includes('--same-index'),
    seed: intArg('--seed', get('--seed'), 0, 0xffffffff) ?? 1234,
    out: get('--out') ?? 'bench-out',
  };
}

/** Runs faiss_rounds.py on a spec; resolves with what it wrote. */
async function faissRounds(dir: string, spec: Record<string, unknown>, threads: number): Promise<{ faiss_version: string; runs?: { nprobe: number; seconds: number; labels: number[] }[] }> {
  const specPath = join(dir, 'faiss-spec.json');
  const outPath = join(dir, 'faiss-out.json');
  await writeFile(specPath, JSON.stringify(spec));
  await runFaissScript('faiss_rounds.py', specPath, outPath, threads, `faiss ${String(spec.factory)}`);
  return JSON.parse(await readFile(outPath, 'utf8'));
}

interface Point {
  system: string;
  nprobe: number;
  recall: number;
  /** q/s per round. */
  qps: number[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export async function main(argv: string[]): Promise<void> {
  const o = parseArgs(argv);
  const command = `pnpm bench glove-rounds ${argv.join(' ')}`.trim();
  const { commit, uncommitted } = sourceCommit();
  const machine = machineNote();
  const work = await mkdtemp(join(tmpdir(), 'libvq-bench-rounds-'));
  try {
    console.error('preparing glove...');
    const data = await prepareGlove(work, { seed: o.seed, k: K, threads: o.threads });
    const common = { basePath: data.basePath, queriesPath: data.queriesPath, dim: data.dim, metric: data.metric, threads: o.threads, seed: o.seed, k: K };
    const oursPath = join(work, 'ours.faiss');
    const refPath = o.sameIndex ? oursPath : join(work, 'reference.faiss');
    const reference = o.sameIndex ? o.factory : o.reference;
    console.error(o.sameIndex ? `building libvq-ts ${o.factory} (faiss searches it too)...` : `building libvq-ts ${o.factory} and faiss ${o.reference}...`);
    await runTsChild<RoundsResult>(new URL('./rounds-child.ts', import.meta.url), { ...common, mode: 'build', indexPath: oursPath, factory: o.factory, backend: o.backends[0], nprobes: [] } satisfies RoundsSpec, `libvq-ts ${o.factory}`, 'built');
    const refSpec = { base: data.basePath, queries: data.queriesPath, dim: data.dim, metric: data.metric, factory: reference, seed: o.seed, threads: o.threads, k: K, index: refPath };
    let faiss_version = '';
    if (!o.sameIndex) ({ faiss_version } = await faissRounds(work, { ...refSpec, mode: 'build', nprobes: [] }, o.threads));
    const points = new Map<string, Point>();
    const record = (system: string, runs: { nprobe: number; seconds: number; labels: ArrayLike<number> }[]) => {
      for (const r of runs) {
        const key = `${system}@${r.nprobe}`;
        const p = points.get(key) ?? { system, nprobe: r.nprobe, recall: annRecall(Int32Array.from(r.labels), K, data.truth, data.k).r10at100, qps: [] };
        p.qps.push(data.queries / r.seconds);
        points.set(key, p);
      }
    };
    for (let round = 1; round <= o.rounds; round++) {
      console.error(`round ${round} of ${o.rounds}: faiss, then libvq-ts (${o.backends.join(', ')})`);
      const searched = await faissRounds(work, { ...refSpec, mode: 'search', nprobes: o.referenceNprobes }, o.threads);
      faiss_version = searched.faiss_version;
      record('faiss', searched.runs!);
      for (const backend of o.backends) {
        const r = await runTsChild<RoundsResult>(new URL('./rounds-child.ts', import.meta.url), { ...common, mode: 'search', indexPath: oursPath, factory: o.factory, backend, nprobes: o.nprobes } satisfies RoundsSpec, `libvq-ts ${backend}`, 'built');
        record(`libvq-ts (${backend})`, r.runs);
      }
    }
    const all = [...points.values()];
    const ours = all.filter((p) => p.system !== 'faiss');
    const comparisons = all.filter((p) => p.system === 'faiss').map((ref) => {
      const fastest = ours.filter((p) => p.recall >= ref.recall).sort((a, b) => median(b.qps) - median(a.qps))[0];
      const perRound = fastest ? fastest.qps.map((q, i) => q / ref.qps[i]) : [];
      return { reference: ref, ours: fastest, ratioOfMedians: fastest ? median(fastest.qps) / median(ref.qps) : undefined, perRound };
    });
    // At each nprobe both ran, each libvq-ts backend against faiss (meaningful where the factories are equal).
    const sameNprobe = all
      .filter((p) => p.system === 'faiss')
      .flatMap((ref) => ours.filter((p) => p.nprobe === ref.nprobe).map((p) => ({ reference: ref, ours: p, ratioOfMedians: median(p.qps) / median(ref.qps), perRound: p.qps.map((q, i) => q / ref.qps[i]) })));
    const title = `Interleaved rounds: libvq-ts ${o.factory} against faiss ${reference}${o.sameIndex ? ' (the same index file)' : ''}, GloVe-100`;
    const md = [
      `# ${title}`,
      '',
      `${data.description}; k = ${K}; run: \`${command}\`; ${o.threads === 1 ? 'one thread' : `${o.threads} threads`} each; ${o.rounds} rounds. Commit ${commit}${uncommitted.length ? ` (uncommitted: ${uncommitted.join(', ')})` : ''}; faiss ${faiss_version}; ${machine.cpus} CPUs, load average ${machine.load1} at the start.`,
      '',
      (o.sameIndex
        ? `libvq-ts builds the index once (seed ${o.seed}) and writes it in faiss's format; faiss reads that file and searches the same lists and codes. `
        : `Each index is built once (seed ${o.seed}). `) +
        'Every round runs faiss\'s searches in a fresh Python process and libvq-ts\'s in a fresh Node process per backend, one after the other. q/s: all queries in one call, the median of timed passes after untimed ones (0.5 s each way, 1 to 10 passes), as in the `glove` benchmark.',
      '',
      '## Against faiss at equal or better recall',
      '',
      'For each faiss nprobe, the libvq-ts point (any backend, any nprobe of the sweep) with the highest median q/s among those with a 10-R@100 at least faiss\'s.',
      '',
      markdownTable(
        ['faiss nprobe', 'faiss 10-R@100', 'faiss q/s (median)', 'libvq-ts', 'nprobe', '10-R@100', 'q/s (median)', 'ratio of medians', 'ratio per round'],
        comparisons.map((c) => [
          c.reference.nprobe, c.reference.recall.toFixed(3), Math.round(median(c.reference.qps)),
          c.ours?.system ?? 'none reaches it', c.ours?.nprobe ?? '-', c.ours ? c.ours.recall.toFixed(3) : '-', c.ours ? Math.round(median(c.ours.qps)) : '-',
          c.ratioOfMedians === undefined ? '-' : `${c.ratioOfMedians.toFixed(2)}x`, c.perRound.map((r) => r.toFixed(2)).join(' / '),
        ]),
      ),
      '',
      ...(sameNprobe.length && o.factory === reference
        ? [
            '## At the same nprobe',
            '',
            markdownTable(
              ['nprobe', 'libvq-ts', '10-R@100', 'q/s (median)', 'faiss 10-R@100', 'faiss q/s (median)', 'ratio of medians', 'ratio per round'],
              sameNprobe.map((c) => [
                c.reference.nprobe, c.ours.system, c.ours.recall.toFixed(3), Math.round(median(c.ours.qps)), c.reference.recall.toFixed(3), Math.round(median(c.reference.qps)),
                `${c.ratioOfMedians.toFixed(2)}x`, c.perRound.map((r) => r.toFixed(2)).join(' / '),
              ]),
            ),
            '',
          ]
        : []),
      '## Every point',
      '',
      markdownTable(
        ['system', 'nprobe', '10-R@100', 'q/s per round', 'median'],
        all.map((p) => [p.system, p.nprobe, p.recall.toFixed(3), p.qps.map((q) => Math.round(q)).join(' / '), Math.round(median(p.qps))]),
      ),
      '',
    ].join('\n');
    const json = { date: new Date().toISOString(), command, commit, uncommitted, machine, options: o, dataset: data.description, faiss: faiss_version, points: all, comparisons: comparisons.map((c) => ({ faissNprobe: c.reference.nprobe, ours: c.ours && { system: c.ours.system, nprobe: c.ours.nprobe }, ratioOfMedians: c.ratioOfMedians, perRound: c.perRound })), sameNprobe: sameNprobe.map((c) => ({ nprobe: c.reference.nprobe, system: c.ours.system, ratioOfMedians: c.ratioOfMedians, perRound: c.perRound })) };
    writeReportFile(join(o.out, 'glove-rounds.md'), md);
    writeReportFile(join(o.out, 'glove-rounds.json'), JSON.stringify(json, null, 2));
    console.log(md);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
