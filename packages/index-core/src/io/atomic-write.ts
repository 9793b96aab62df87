import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { LibvqError } from '../errors.js';
import { bytesOf } from './bytes.js';
import { removeStaleTemporaries, temporarySibling } from './temp-files.js';

/*
 * The one way libvq writes an output (files, and a directory built in one go): into a temporary sibling
 * (temp-files.ts names it), synced, then renamed into place, so a reader never sees a half-written output and a
 * failed write leaves the old one untouched. A writer that throws removes its temporary; one killed mid-write
 * cannot, so every write first removes the temporaries dead writers left for the same path.
 */

/** A chunk of a file: bytes (any typed array or DataView, written as they lie in memory) or text (UTF-8). */
export type FileChunk = ArrayBufferView | string;

/**
 * Runs `fill` on a temporary sibling of `path`, syncs it and renames it into place. An error is a LibvqError:
 * fill's own, or 'IO' naming `path`.
 */
export async function writeAtomic(path: string, fill: (fh: FileHandle) => Promise<void>, opts: WriteOptions = {}): Promise<void> {
  removeStaleTemporaries(path);
  const tmp = temporarySibling(path);
  let fh: FileHandle | undefined;
  try {
    fh = await open(tmp, 'w');
    await fill(fh);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await opts.check?.(tmp);
    await rename(tmp, path);
  } catch (err) {
    if (fh) await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw ioError(path, err);
  }
}

/** writeAtomic's options: a check of the finished temporary, as in WriteSyncOptions, awaited. */
export interface WriteOptions {
  check?: (tmp: string) => void | Promise<void>;
}

/** Writes `chunks` to `path`, one after the other, atomically (writeAtomic). */
export async function writeFileAtomic(path: string, chunks: readonly FileChunk[], opts: WriteOptions = {}): Promise<void> {
  await writeAtomic(path, (fh) => writeChunks(fh, chunks.map(chunkBytes)), opts);
}

export interface WriteSyncOptions {
  /**
   * Runs on the complete, synced temporary before it is renamed over `path`: a check that throws (its own
   * error is passed on) keeps a wrong file from ever reaching `path`. writeIndex reads the index back here.
   */
  check?: (tmp: string) => void;
}

/** writeFileAtomic for synchronous callers (an index, a benchmark report): same temporaries, same errors. */
export function writeFileAtomicSync(path: string, chunks: readonly FileChunk[], opts: WriteSyncOptions = {}): void {
  removeStaleTemporaries(path);
  const tmp = temporarySibling(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    for (const chunk of chunks) {
      const c = chunkBytes(chunk);
      for (let done = 0; done < c.length; ) done += writeSync(fd, c, done, c.length - done);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    opts.check?.(tmp);
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw ioError(path, err);
  }
}

export interface WriteDirectoryOptions {
  /**
   * Whether a directory at `dir` is already complete: then it is kept (another process published it while this
   * one was filling; it may be reading it) and this copy is dropped. Without it, an existing `dir` is replaced.
   */
  isComplete?: (dir: string) => Promise<boolean>;
}

/**
 * Builds a directory at a temporary sibling of `dir` (`fill` writes its files into the path it is given), then
 * renames it to `dir`. Files are not synced one by one: what this guards is a reader seeing a partial directory
 * at `dir`, which it never does. A directory cannot be renamed over a non-empty one, so an existing incomplete
 * `dir` is removed just before. Errors as writeAtomic's, naming `dir`.
 */
export async function writeDirectoryAtomic(dir: string, fill: (tmp: string) => Promise<void>, opts: WriteDirectoryOptions = {}): Promise<void> {
  const isComplete = opts.isComplete ?? (async () => false);
  removeStaleTemporaries(dir);
  const tmp = temporarySibling(dir);
  try {
    await mkdir(tmp);
    await fill(tmp);
    if (await isComplete(dir)) return;
    await rm(dir, { recursive: true, force: true });
    try {
      await rename(tmp, dir);
    } catch (err) {
      // Another process renamed its copy in between: as good as ours.
      if (!(await isComplete(dir))) throw err;
    }
  } catch (err) {
    throw ioError(dir, err);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Writes all of `chunks` at the handle's current position (writev, a bounded number of buffers per call). */
export async function writeChunks(fh: FileHandle, chunks: readonly Uint8Array[]): Promise<void> {
  for (let i = 0; i < chunks.length; i += 512) await fh.writev(chunks.slice(i, i + 512));
}

const utf8 = new TextEncoder();

function chunkBytes(chunk: FileChunk): Uint8Array {
  return typeof chunk === 'string' ? utf8.encode(chunk) : bytesOf(chunk);
}

/** A LibvqError is passed on as thrown (a check's, a fill's); anything else becomes 'IO', naming the output. */
function ioError(path: string, err: unknown): LibvqError {
  if (err instanceof LibvqError) return err;
  return new LibvqError('IO', `could not write ${path}: ${(err as Error).message}`, { cause: err });
}
