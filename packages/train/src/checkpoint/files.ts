import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LibvqError } from '@libvq/index-core';
import { publishVersion } from './versioned-dir.js';

export function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

/**
 * Writes a checkpoint directory atomically: the files become visible at `dir` all at once, as one new immutable
 * version (see versioned-dir.ts), so readers, concurrent writers and a crash see either the old checkpoint or the
 * new one, never a mix; nothing temporary is left behind once the writers are done.
 */
export function writeDirAtomic(dir: string, files: Record<string, Uint8Array>): void {
  publishVersion(dir, files);
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
