import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readlinkSync, realpathSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { LibvqError } from '@libvq/index-core';
import { isProcessRunning } from '@libvq/index-core/util';

/**
 * Checkpoint directories that several processes (or threads) may save and load at the same time.
 *
 * A directory cannot be replaced atomically while it keeps its path (rename onto a non-empty directory fails,
 * and moving the old one aside first leaves a moment with no directory: the ENOTEMPTY / ENOENT / missing-manifest
 * failures this replaces). A symbolic link can: so `dir` is a symlink to an immutable version directory,
 * `.<name>.versions/v-<id>`, next to it. `dir/index.faiss` still opens as before (faiss, `libvq search`).
 *
 * Save: write every file into a fresh `v-<id>` (nobody else looks at it), point a fresh symlink at it and rename
 * that link over `dir` (one atomic rename publishes the complete version), then mark the version published
 * (`v-<id>.done`) and remove every version that is not the current one and is either marked or belongs to a dead
 * process. Why the mark: a version that is complete but not yet linked is about to become current and must not be
 * removed; once its writer has linked it, it is never linked again, so whenever it is no longer current it is
 * garbage. Whoever replaces a version removes it after, so when the writers have finished only the current
 * version is left (and the leftovers of killed writers go at the next save).
 *
 * Load: resolve the link once and read every file from that version directory, so files of two versions are
 * never mixed. A version being removed has been replaced: a read that fails while the link has moved on is
 * retried on the new version (bounded); a failure on the version that is still current is real and thrown.
 *
 * Not covered: power loss (files are not fsynced, as before) and writers on different hosts of a network file
 * system (a dead process is recognised by its pid on this host).
 */

const VERSION = 'v-';
const DONE = '.done';
const LINK = 'link-';
/** Reads retried when the version picked was replaced meanwhile; each retry reads the then-current version. */
export const MAX_READ_ATTEMPTS = 50;

export function versionsDirOf(dir: string): string {
  return join(dirname(dir), `.${basename(dir)}.versions`);
}

/** A unique id that names its owner's pid (second field), so stale files of dead processes can be recognised. */
function newId(): string {
  return `${Date.now().toString(36)}-${process.pid}-${threadId}-${randomBytes(6).toString('hex')}`;
}

/** Whether the process that made this entry may still be writing it (the same pid check as every temporary's). */
function ownerAlive(entry: string): boolean {
  const pid = Number(entry.slice(entry.indexOf('-') + 1).split('-')[1]);
  if (!Number.isInteger(pid) || pid <= 0) return true; // not ours: leave it alone
  return isProcessRunning(pid);
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

/**
 * What `dir` is now: 'missing', 'legacy' (a plain directory, written before versioned checkpoints), or the
 * version it links to. A symlink or file that is not one of ours is refused: saving would replace it.
 */
type DirState = { kind: 'missing' } | { kind: 'legacy' } | { kind: 'version'; version: string };

function dirState(dir: string): DirState {
  let st;
  try {
    st = lstatSync(dir);
  } catch (e) {
    if (errno(e) === 'ENOENT') return { kind: 'missing' };
    throw e;
  }
  if (st.isDirectory()) return { kind: 'legacy' };
  if (st.isSymbolicLink()) {
    let target: string;
    try {
      target = readlinkSync(dir);
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'EINVAL') return dirState(dir); // replaced between lstat and readlink
      throw e;
    }
    const prefix = `${basename(versionsDirOf(dir))}/`;
    const version = target.startsWith(prefix) ? target.slice(prefix.length) : '';
    if (version.startsWith(VERSION) && !version.includes('/')) return { kind: 'version', version };
    throw new LibvqError('INVALID_ARGUMENT', `${dir}: a symbolic link to ${target}, not a libvq checkpoint (which links to ${prefix}v-*); remove it or use another directory`);
  }
  throw new LibvqError('INVALID_ARGUMENT', `${dir}: exists and is not a directory (expected a checkpoint directory)`);
}

/**
 * Writes `files` as a new version of checkpoint `dir` and makes it current with one atomic rename; removes the
 * versions no longer needed. See the file comment for why this is safe with concurrent writers and readers.
 */
export function publishVersion(dir: string, files: Record<string, Uint8Array>): void {
  const versions = versionsDirOf(dir);
  const id = newId();
  const vdir = join(versions, VERSION + id);
  const link = join(versions, LINK + id);
  try {
    dirState(dir); // refuse a foreign symlink / file before writing anything
    mkdirSync(versions, { recursive: true });
    mkdirSync(vdir);
    for (const [name, data] of Object.entries(files)) writeFileSync(join(vdir, name), data);
    // the link's target is relative to dir's parent, where the link ends up (so the pair can be moved together)
    symlinkSync(`${basename(versions)}/${VERSION}${id}`, link, 'dir');
    for (let attempt = 0; ; attempt++) {
      if (dirState(dir).kind === 'legacy') retireLegacy(dir, versions);
      try {
        renameSync(link, dir);
        break;
      } catch (e) {
        // a plain directory appeared at dir (another process's legacy save) and rename cannot replace it: retire it again
        if (!(errno(e) === 'EISDIR' || errno(e) === 'ENOTEMPTY' || errno(e) === 'EEXIST') || attempt >= 5) throw e;
      }
    }
  } catch (e) {
    rmSync(link, { force: true });
    rmSync(vdir, { recursive: true, force: true });
    if (e instanceof LibvqError) throw e;
    throw new LibvqError('IO', `writing checkpoint ${dir}: ${(e as Error).message}`, { cause: e });
  }
  // Published. Marking and cleaning are best effort: a failure here leaves garbage for the next save, never a
  // broken checkpoint, so it must not fail the save.
  try {
    writeFileSync(vdir + DONE, '');
    removeStale(dir, versions);
  } catch {
    /* the next save cleans up */
  }
}

/**
 * Moves a plain (pre-versioning) checkpoint directory out of the way into the versions directory, marked as
 * garbage. If what got moved was in fact a version link (another writer replaced the directory meanwhile), it is
 * put back unless a newer link is already there.
 */
function retireLegacy(dir: string, versions: string): void {
  const to = join(versions, VERSION + newId());
  try {
    renameSync(dir, to);
  } catch (e) {
    if (errno(e) === 'ENOENT') return;
    throw e;
  }
  if (lstatSync(to).isSymbolicLink()) {
    try {
      linkSync(to, dir); // link(2) does not follow the symlink and fails if dir exists: restores only into a gap
    } catch {
      /* a newer link is in place */
    }
    unlinkSync(to);
    return;
  }
  writeFileSync(to + DONE, '');
}

/** Removes every version that is not current and is published or orphaned, and dead processes' temporary links. */
export function removeStale(dir: string, versions = versionsDirOf(dir)): void {
  let entries: string[];
  try {
    entries = readdirSync(versions);
  } catch {
    return;
  }
  // The current version is read after the listing, not before: a version marked in the listing was linked before
  // it, so if it is not current now it has been replaced for good. Read before, the current version could be
  // replaced (and its successor linked and marked) in between, and that successor would be removed while current.
  const st = dirState(dir);
  if (st.kind !== 'version') return; // without a current version there is nothing safe to compare against
  const names = new Set(entries);
  const rm = (name: string) => {
    try {
      rmSync(join(versions, name), { recursive: true, force: true, maxRetries: 3 });
    } catch {
      /* another cleaner got there first, or the next save retries */
    }
  };
  for (const e of entries) {
    if (e.startsWith(VERSION) && !e.endsWith(DONE)) {
      if (e === st.version) continue;
      if (names.has(e + DONE) || !ownerAlive(e)) {
        rm(e); // the directory first: a marker without its directory is harmless, the reverse would look unpublished
        rm(e + DONE);
      }
    } else if (e.startsWith(VERSION) && e.endsWith(DONE)) {
      const v = e.slice(0, -DONE.length);
      if (v !== st.version && !names.has(v)) rm(e);
    } else if (e.startsWith(LINK) && !ownerAlive(e)) {
      rm(e);
    }
  }
}

/**
 * Runs `read` on one complete version of checkpoint `dir` (the directory itself for a plain, pre-versioning
 * checkpoint) and returns its result. If `read` fails and `dir` meanwhile resolves to another version, the version
 * read was being replaced (and maybe removed): `read` runs again on the current one, up to MAX_READ_ATTEMPTS.
 * `dir` is resolved with realpath, so a link of the user's own to a checkpoint (or to a version) works too.
 */
export function readVersion<T>(dir: string, read: (versionDir: string) => T): T {
  for (let attempt = 1; ; attempt++) {
    const path = resolved(dir);
    try {
      return read(path ?? dir); // missing: read reports it, naming the file it looked for
    } catch (e) {
      const now = resolved(dir);
      // missing while a versions directory exists: a plain directory is being retired, one rename from its link
      const retiring = now === null && existsSync(versionsDirOf(dir)) && attempt < 5;
      if (now === path && !retiring) throw e; // what was read is still current, hence complete: the error is real
      if (attempt >= MAX_READ_ATTEMPTS) {
        throw new LibvqError('IO', `${dir}: the checkpoint was replaced by another save ${attempt} times while being read; the last attempt failed with: ${(e as Error).message}`, { cause: e });
      }
      if (now === null) sleepMs(2);
    }
  }
}

function resolved(dir: string): string | null {
  try {
    return realpathSync(dir);
  } catch {
    return null;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
