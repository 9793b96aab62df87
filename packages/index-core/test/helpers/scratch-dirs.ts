import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';

/** A temporary root removed after the file's tests, and a fresh empty directory under it per call. */
export function scratchDirs(prefix: string): { root: string; freshDir: () => string } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  return {
    root,
    freshDir: () => {
      const d = join(root, `d${n++}`);
      mkdirSync(d);
      return d;
    },
  };
}

/** The pid of a process that has exited and been reaped: no process has it (until the kernel reuses it). */
export function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  expect(r.status).toBe(0);
  return r.pid!;
}
