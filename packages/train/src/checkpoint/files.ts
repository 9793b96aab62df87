import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LibvqError } from '@libvq/index-core';

export function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

/**
 * Writes a checkpoint directory atomically: every file goes into a sibling temporary directory, which then
 * replaces `dir` by rename (the old directory is moved aside first and removed last), so a crash leaves either
 * the old checkpoint or the new one, never a mix. Nothing temporary is left behind on failure.
 */
export function writeDirAtomic(dir: string, files: Record<string, Uint8Array>): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const stamp = `${process.pid}-${Date.now()}`;
  const tmp = join(parent, `.${basename(dir)}.tmp-${stamp}`);
  const old = join(parent, `.${basename(dir)}.old-${stamp}`);
  try {
    mkdirSync(tmp);
    for (const [name, data] of Object.entries(files)) writeFileSync(join(tmp, name), data);
    const had = existsSync(dir);
    if (had) renameSync(dir, old);
    renameSync(tmp, dir);
    if (had) rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new LibvqError('IO', `writing checkpoint ${dir}: ${(e as Error).message}`, { cause: e });
  }
}

export function readFileChecked(dir: string, name: string, expected?: { sha256: string; bytes: number }): Uint8Array {
  const path = join(dir, name);
  let buf: Uint8Array;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new LibvqError('IO', `${path}: cannot be read (${(e as Error).message})`, { cause: e });
  }
  if (expected) {
    if (buf.length !== expected.bytes) throw new LibvqError('BAD_FILE', `${path}: ${buf.length} bytes, the manifest says ${expected.bytes}`);
    const h = sha256(buf);
    if (h !== expected.sha256) throw new LibvqError('BAD_FILE', `${path}: sha256 ${h} differs from the manifest's ${expected.sha256} (corrupted or replaced)`);
  }
  return buf;
}
