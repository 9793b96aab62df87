import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IndexFlat, readIndexSync, writeIndexSync } from '../src/index.js';
import { removeStaleTemporaries, temporarySibling } from '../src/util.js';
import { structuredData } from './helpers/data.js';
import { deadPid, scratchDirs } from './helpers/scratch-dirs.js';

const { root, freshDir } = scratchDirs('libvq-temp-files-');

/** An hour ago, in the seconds utimes takes: older than the cleanup's minimum age. */
const anHourAgo = (): number => Date.now() / 1000 - 3600;

let fakes = 0;
function fakeTemp(path: string, pid: number, old = true): string {
  const p = `${path}.tmp-${pid}-${(0xc0de00 + fakes++).toString(16)}`;
  writeFileSync(p, 'half a file');
  if (old) utimesSync(p, anHourAgo(), anHourAgo());
  return p;
}

describe('temporary siblings', () => {
  it('are named path.tmp-pid-hex, a new name each time, in the same directory', () => {
    const path = join(root, 'out.bin');
    const a = temporarySibling(path);
    expect(a).toMatch(new RegExp(`^${path.replace(/[.]/g, '\\.')}\\.tmp-${process.pid}-[0-9a-f]{8}$`));
    expect(temporarySibling(path)).not.toBe(a);
  });

  it('removes only old temporaries of this path whose process is gone', () => {
    const dir = freshDir();
    const path = join(dir, 'out.bin');
    const dead = deadPid();
    const stale = fakeTemp(path, dead);
    const staleDir = `${path}.tmp-${dead}-17`; // a killed directory writer (and the old counter naming)
    mkdirSync(staleDir);
    writeFileSync(join(staleDir, 'inside'), 'x');
    utimesSync(staleDir, anHourAgo(), anHourAgo());
    const live = fakeTemp(path, process.pid);
    const young = fakeTemp(path, dead, false); // maybe a writer on another host sharing this directory
    const kept = [
      live,
      young,
      fakeTemp(join(dir, 'other.bin'), dead), // another output's temporary
      fakeTemp(join(dir, 'out.bin.x'), dead),
      join(dir, `out.bin.tmp-${dead}-notHex`),
      join(dir, `out.bin.tmp-0-aa`),
      join(dir, `out.bin.tmp-99999999999-aa`), // not a pid
      path,
    ];
    for (const p of kept.slice(4)) {
      writeFileSync(p, 'x');
      utimesSync(p, anHourAgo(), anHourAgo());
    }
    expect(removeStaleTemporaries(path).sort()).toEqual([stale, staleDir].sort());
    expect(readdirSync(dir).sort()).toEqual(kept.map((p) => basename(p)).sort());
  });

  it('does not fail a write for want of a directory', () => {
    expect(removeStaleTemporaries(join(root, 'no-such-dir', 'out.bin'))).toEqual([]);
  });

  it('writeIndex removes a killed run\'s temporary and keeps a live writer\'s', () => {
    const dir = freshDir();
    const path = join(dir, 'index.faiss');
    const stale = fakeTemp(path, deadPid());
    const live = fakeTemp(path, process.pid);
    const index = new IndexFlat(4);
    index.addSync(structuredData(10, 4, 1));
    writeIndexSync(index, path);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([basename(path), basename(live)]);
    expect(readIndexSync(path).ntotal).toBe(10);
  });
});
