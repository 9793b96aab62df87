import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/*
 * Every libvq writer writes to a temporary sibling of its output and renames it into place, so an output is
 * complete or absent. A run killed mid-write (SIGKILL, out of memory, power loss) cannot remove its temporary;
 * these two functions give the temporaries one name scheme, `${path}.tmp-${pid}-${random hex}`, so the next
 * writer of the same output can tell a dead run's leftover from a live writer's file and remove it.
 */

const TEMP_INFIX = '.tmp-';
/** `${pid}-${hex}` after the infix (the hex was a counter in older write-index temporaries: digits match too). */
const TEMP_SUFFIX = /^([1-9][0-9]*)-[0-9a-f]+$/;

/**
 * A temporary is left alone while it was modified this recently, even when its pid is not running here: on a
 * directory shared between machines (an NFS home with ~/.cache/libvq) the pid may belong to a writer on another
 * host, and a live writer modifies its temporary continuously (every write, every entry of a directory).
 */
export const STALE_TEMPORARY_MIN_AGE_MS = 60_000;

/** A fresh temporary name next to `path` (same directory, so the final rename is atomic). */
export function temporarySibling(path: string): string {
  return `${path}${TEMP_INFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
}

export interface RemoveStaleOptions {
  /** Keep temporaries modified less than this long ago (default STALE_TEMPORARY_MIN_AGE_MS). */
  minAgeMs?: number;
  /** The clock (tests). */
  now?: number;
}

/**
 * Removes the temporaries of `path` (files or directories named by temporarySibling) whose writing process is
 * not running on this machine and that were not modified for `minAgeMs`. Returns the paths removed. Never
 * throws: it is housekeeping before a write, and another process may remove or rename the same entries at the
 * same moment; whatever cannot be listed, inspected or removed is left alone.
 */
export function removeStaleTemporaries(path: string, opts: RemoveStaleOptions = {}): string[] {
  const { minAgeMs = STALE_TEMPORARY_MIN_AGE_MS, now = Date.now() } = opts;
  const dir = dirname(path);
  const prefix = basename(path) + TEMP_INFIX;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // no directory yet: nothing to clean; the write itself reports why it cannot create the file
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = TEMP_SUFFIX.exec(name.slice(prefix.length));
    if (!m || isProcessRunning(Number(m[1]))) continue;
    const p = join(dir, name);
    try {
      if (now - statSync(p).mtimeMs < minAgeMs) continue;
      rmSync(p, { recursive: true, force: true });
      removed.push(p);
    } catch {
      // Gone or renamed by another process meanwhile, or not ours to remove: leave it.
    }
  }
  return removed;
}

/**
 * Whether a process with this pid exists on this machine (signal 0 checks without sending; EPERM means it exists):
 * how a writer's leftovers are told from a live writer's files, here and in train's versioned checkpoints.
 */
export function isProcessRunning(pid: number): boolean {
  // No pid is that large: not a name this scheme made, so not ours to judge.
  if (pid === process.pid || pid > 0x7fffffff) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
