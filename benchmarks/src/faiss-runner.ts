import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Matrix } from '@libvq/index-core';

export interface FaissRun {
  faiss_version: string;
  blas: string;
  threads: number;
  train_s: number;
  add_s: number;
  index_bytes: number;
  ntotal: number;
  runs: { nprobe: number; seconds: number; labels: number[] }[];
}

const here = dirname(fileURLToPath(import.meta.url));
export const FAISS_PYTHON = process.env.LIBVQ_FAISS_PYTHON ?? '/usr/bin/python3';

/** Runs Debian's faiss on the same vectors (the reference system), through /usr/bin/python3. */
export function runFaissIvf(base: Matrix, queries: Matrix, spec: { factory: string; nprobes: number[]; k: number; threads: number; seed: number }): FaissRun {
  const dir = mkdtempSync(join(tmpdir(), 'libvq-bench-'));
  try {
    const b = join(dir, 'base.f32');
    const q = join(dir, 'q.f32');
    const s = join(dir, 'spec.json');
    const o = join(dir, 'out.json');
    writeFileSync(b, base.data);
    writeFileSync(q, queries.data);
    writeFileSync(s, JSON.stringify(spec));
    execFileSync(FAISS_PYTHON, [join(here, '..', 'python', 'faiss_ivfpq.py'), b, q, String(base.dim), s, o], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, OMP_NUM_THREADS: String(spec.threads) },
    });
    return JSON.parse(readFileSync(o, 'utf8')) as FaissRun;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
