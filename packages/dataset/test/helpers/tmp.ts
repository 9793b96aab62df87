import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A fresh temporary directory removed after the test file. */
export function tempDir(prefix = 'libvq-dataset-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs Debian's python3 (the one with numpy) and returns its stdout. */
export function python(code: string): string {
  return execFileSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8' });
}

/** A deterministic float32 matrix with non-trivial values (no rng needed: a fixed formula). */
export function sampleData(rows: number, dim: number): Float32Array {
  const out = new Float32Array(rows * dim);
  for (let i = 0; i < out.length; i++) out[i] = Math.fround(Math.sin(i * 1.7 + 0.3) * (1 + (i % 7)));
  return out;
}
