import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LibvqError } from '@libvq/index-core';
import type { SystemRun, SystemSpec } from './system-run.js';

/** What python/faiss_ivfpq.py writes (its names). */
interface FaissOut {
  faiss_version: string;
  blas: string;
  threads: number;
  train_s: number;
  opq_s: number;
  kmeans_s: number;
  pq_s: number;
  add_s: number;
  index_bytes: number;
  rss_after_load_bytes: number;
  peak_rss_bytes: number;
  ntotal: number;
  runs: { nprobe: number; seconds: number; reps: number; labels: number[] }[];
}

const here = dirname(fileURLToPath(import.meta.url));
export const FAISS_PYTHON = process.env.LIBVQ_FAISS_PYTHON ?? '/usr/bin/python3';

/**
 * Debian's faiss (the reference system) on the same vector files, through /usr/bin/python3, in its own
 * process (its peak RSS is its own). OMP_NUM_THREADS, omp_set_num_threads and OPENBLAS_NUM_THREADS all get
 * spec.threads: faiss's k-means and PQ training call BLAS, and Debian's pthread OpenBLAS otherwise starts a
 * thread per core whatever OpenMP is told (a "single-thread" faiss then trains on every core, and on a busy
 * 2-core machine its small sgemm calls spin against each other: 3x slower PQ training, measured).
 */
export async function runFaiss(spec: SystemSpec): Promise<SystemRun> {
  const dir = await mkdtemp(join(tmpdir(), 'libvq-bench-faiss-'));
  try {
    const specPath = join(dir, 'spec.json');
    const outPath = join(dir, 'out.json');
    const { opq, ...rest } = spec;
    const pySpec = {
      ...rest,
      base: spec.basePath,
      queries: spec.queriesPath,
      opq: opq && { ...(opq.niter !== undefined && { niter: opq.niter }), ...(opq.maxTrainPoints !== undefined && { max_train_points: opq.maxTrainPoints }) },
    };
    await writeFile(specPath, JSON.stringify(pySpec));
    await runFaissScript('faiss_ivfpq.py', specPath, outPath, spec.threads, `faiss ${spec.factory}`);
    const o = JSON.parse(await readFile(outPath, 'utf8')) as FaissOut;
    return {
      system: 'faiss',
      label: `faiss${spec.threads > 1 ? ` (${spec.threads} threads)` : ''}`,
      version: o.faiss_version,
      threads: o.threads,
      blas: o.blas,
      trainS: o.train_s,
      phases: { opqS: o.opq_s, kmeansS: o.kmeans_s, pqS: o.pq_s },
      addS: o.add_s,
      indexBytes: o.index_bytes,
      rssAfterLoadBytes: o.rss_after_load_bytes,
      peakRssBytes: o.peak_rss_bytes,
      runs: o.runs.map((r) => ({ nprobe: r.nprobe, seconds: r.seconds, reps: r.reps, labels: Int32Array.from(r.labels) })),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs python/<script> SPEC OUT under Debian's faiss with `threads` threads everywhere (OpenMP and OpenBLAS: see
 * runFaiss), its output on our stderr; resolves when it exits cleanly, else a clear error naming `what`.
 */
export async function runFaissScript(script: string, specPath: string, outPath: string, threads: number, what: string): Promise<void> {
  const child = execFile(FAISS_PYTHON, [join(here, '..', 'python', script), specPath, outPath], {
    env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) },
    maxBuffer: 64 << 20,
  });
  child.stdout?.pipe(process.stderr);
  child.stderr?.pipe(process.stderr);
  await new Promise<void>((resolve, reject) => {
    child.on('error', (err) => reject(new LibvqError('IO', `${what}: could not run ${FAISS_PYTHON}: ${err.message}`, { cause: err })));
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new LibvqError('IO', `${what}: ${FAISS_PYTHON} ${script} failed (exit code ${code}, signal ${signal}); is python3-faiss installed?`)),
    );
  });
}
