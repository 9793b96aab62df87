import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeAtomic, writeFileAtomic } from '../src/index.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir();

/** The pid of a process that has exited and been reaped. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  expect(r.status).toBe(0);
  return r.pid!;
}

/** A temporary as a writer killed an hour ago (or, with our own pid, a writer still running) would leave it. */
function fakeTemp(path: string, pid: number, hex: string): string {
  const p = `${path}.tmp-${pid}-${hex}`;
  writeFileSync(p, 'half a file');
  const old = Date.now() / 1000 - 3600;
  utimesSync(p, old, old);
  return p;
}

describe('atomic writes', () => {
  it('remove the temporaries of killed runs, keep a live writer\'s, and leave none of their own', async () => {
    const path = join(dir, 'vectors.bin');
    const stale = fakeTemp(path, deadPid(), 'dead01');
    const live = fakeTemp(path, process.pid, 'a11ce');
    await writeFileAtomic(path, [Uint8Array.of(1, 2, 3)]);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['vectors.bin', 'vectors.bin.tmp-' + process.pid + '-a11ce']);
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
  });

  it('remove their own temporary when filling fails, leaving the old file', async () => {
    const path = join(dir, 'kept.bin');
    writeFileSync(path, 'old');
    await expect(writeAtomic(path, async (fh) => {
      await fh.write('partial');
      throw new Error('disk on fire');
    })).rejects.toThrow(/could not write .*kept\.bin: disk on fire/);
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir).filter((n) => n.startsWith('kept.bin'))).toEqual(['kept.bin']);
  });
});
