/**
 * The two systems of `pnpm bench scale` (scale.ts): the built `libvq` binary under plain node, its peak RSS
 * taken by a preloaded hook (scripts/rss-hook.mjs), and Debian's faiss through python/faiss_scale.py.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readResults } from '@libvq/dataset';
import { LibvqError } from '@libvq/index-core';
import { FAISS_PYTHON } from './faiss-runner.js';
import { annRecall } from './metrics.js';
import type { ScaleOptions } from './scale.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
export const CLI = join(repo, 'apps', 'cli', 'dist', 'main.js');
const RSS_HOOK = join(repo, 'benchmarks', 'scripts', 'rss-hook.mjs');
const K = 100;

function runProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv, what: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(cmd, args, { env, maxBuffer: 256 << 20 }, (err, stdout) => {
      if (err) reject(new LibvqError('IO', `${what} failed: ${err.message}`, { cause: err }));
      else resolvePromise(stdout);
    });
    child.stderr?.pipe(process.stderr);
  });
}

interface Measured {
  stdout: string;
  maxRssBytes: number;
  wallS: number;
}

/** The built CLI under plain node with the RSS hook preloaded. */
async function libvq(args: string[], tmp: string): Promise<Measured> {
  const rssOut = join(tmp, `rss-${Date.now()}.json`);
  const t0 = performance.now();
  const stdout = await runProcess(process.execPath, ['--import', RSS_HOOK, CLI, ...args], { ...process.env, LIBVQ_RSS_OUT: rssOut }, `libvq ${args[0]}`);
  const wallS = (performance.now() - t0) / 1000;
  const { maxRssBytes } = JSON.parse(readFileSync(rssOut, 'utf8')) as { maxRssBytes: number };
  return { stdout, maxRssBytes, wallS };
}

export interface SystemResult {
  system: 'libvq-ts' | 'faiss';
  trainS: number;
  addS: number;
  peakRssBytes: number;
  /** faiss: the peak anonymous resident set (what faiss holds, without the memmap's resident file pages). */
  peakAnonBytes?: number;
  runs: { nprobe: number; seconds: number; r10at100: number }[];
}

export async function runLibvq(o: ScaleOptions, factory: string, base: string, queries: string, truth: Int32Array, tmp: string): Promise<SystemResult> {
  const indexPath = join(tmp, 'libvq.faiss');
  const b = await libvq(['build', base, '--factory', factory, '--metric', 'l2', '--seed', String(o.seed), '--train-size', String(o.trainSize), '--batch-rows', String(o.batchRows), '--threads', String(o.threads), '-o', indexPath], tmp);
  const m = /trained on (\d+) in ([\d.]+) s, added in ([\d.]+) s/.exec(b.stdout);
  if (!m) throw new LibvqError('IO', `libvq build printed no timing line: ${b.stdout}`);
  const runs = [];
  for (const nprobe of o.nprobes) {
    const resPath = join(tmp, `res-${nprobe}.arrow`);
    const s = await libvq(['search', '--index', indexPath, '--queries', queries, '--k', String(K), '--nprobe', String(nprobe), '--threads', String(o.threads), '-o', resPath], tmp);
    const secs = Number(/in ([\d.]+) s \(/.exec(s.stdout)?.[1] ?? Number.NaN);
    const r = await readResults(resPath);
    runs.push({ nprobe, seconds: secs, r10at100: annRecall(r.labels, K, truth, K).r10at100 });
  }
  rmSync(indexPath, { force: true });
  return { system: 'libvq-ts', trainS: Number(m[2]), addS: Number(m[3]), peakRssBytes: b.maxRssBytes, runs };
}

export async function runFaissScale(o: ScaleOptions, factory: string, base: string, queries: string, truth: Int32Array, tmp: string): Promise<SystemResult> {
  const specPath = join(tmp, 'faiss-spec.json');
  const outPath = join(tmp, 'faiss-out.json');
  writeFileSync(specPath, JSON.stringify({ base, queries, metric: 'l2', factory, train_size: o.trainSize, batch_rows: o.batchRows, nprobes: o.nprobes, k: K, seed: o.seed, threads: o.threads }));
  const threads = String(o.threads);
  await runProcess(FAISS_PYTHON, [join(repo, 'benchmarks', 'python', 'faiss_scale.py'), specPath, outPath], { ...process.env, OMP_NUM_THREADS: threads, OPENBLAS_NUM_THREADS: threads }, `faiss ${factory}`);
  const f = JSON.parse(readFileSync(outPath, 'utf8')) as { train_s: number; add_s: number; peak_rss_bytes: number; peak_anon_bytes: number; runs: { nprobe: number; seconds: number; labels: number[] }[] };
  return {
    system: 'faiss',
    trainS: f.train_s,
    addS: f.add_s,
    peakRssBytes: f.peak_rss_bytes,
    peakAnonBytes: f.peak_anon_bytes,
    runs: f.runs.map((r) => ({ nprobe: r.nprobe, seconds: r.seconds, r10at100: annRecall(Int32Array.from(r.labels), K, truth, K).r10at100 })),
  };
}

