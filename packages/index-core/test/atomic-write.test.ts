import { existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LibvqError } from '../src/index.js';
import { writeAtomic, writeDirectoryAtomic, writeFileAtomic, writeFileAtomicSync } from '../src/util.js';
import { deadPid, scratchDirs } from './helpers/scratch-dirs.js';

const { root, freshDir } = scratchDirs('libvq-atomic-write-');

/** A temporary as a writer killed an hour ago (or, with our own pid, a writer still running) would leave it. */
function fakeTemp(path: string, pid: number, hex: string): string {
  const p = `${path}.tmp-${pid}-${hex}`;
  writeFileSync(p, 'half a file');
  const old = Date.now() / 1000 - 3600;
  utimesSync(p, old, old);
  return p;
}

describe('writeAtomic / writeFileAtomic', () => {
  it('remove the temporaries of killed runs, keep a live writer\'s, and leave none of their own', async () => {
    const dir = freshDir();
    const path = join(dir, 'vectors.bin');
    const stale = fakeTemp(path, deadPid(), 'dead01');
    const live = fakeTemp(path, process.pid, 'a11ce');
    await writeFileAtomic(path, [Uint8Array.of(1, 2, 3), 'ab']);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['vectors.bin', `vectors.bin.tmp-${process.pid}-a11ce`]);
    expect([...readFileSync(path)]).toEqual([1, 2, 3, 0x61, 0x62]);
  });

  it('remove their own temporary when filling fails, leaving the old file', async () => {
    const dir = freshDir();
    const path = join(dir, 'kept.bin');
    writeFileSync(path, 'old');
    await expect(writeAtomic(path, async (fh) => {
      await fh.write('partial');
      throw new Error('disk on fire');
    })).rejects.toThrow(/could not write .*kept\.bin: disk on fire/);
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['kept.bin']);
  });
});

describe('writeFileAtomicSync', () => {
  it('writes every chunk, a view with an offset as its own bytes only, and leaves no temporary', () => {
    const dir = freshDir();
    const path = join(dir, 'out.bin');
    const floats = Float32Array.of(9, 1.5, -2, 9);
    writeFileAtomicSync(path, ['head\n', floats.subarray(1, 3), new Uint8Array(0), Uint8Array.of(7)]);
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 5).toString()).toBe('head\n');
    expect([...new Float32Array(bytes.buffer.slice(bytes.byteOffset + 5, bytes.byteOffset + 13))]).toEqual([1.5, -2]);
    expect([...bytes.subarray(13)]).toEqual([7]);
    expect(readdirSync(dir)).toEqual(['out.bin']);
    writeFileAtomicSync(path, ['replaced']);
    expect(readFileSync(path, 'utf8')).toBe('replaced');
  });

  it('on a failing check leaves the final path untouched and no temporary; a LibvqError is passed on as thrown', () => {
    const dir = freshDir();
    const path = join(dir, 'index.faiss');
    writeFileSync(path, 'old');
    let seen = '';
    const refused = new LibvqError('INTERNAL', 'does not read back');
    expect(() => writeFileAtomicSync(path, ['new'], {
      check: (tmp) => {
        seen = readFileSync(tmp, 'utf8'); // the check sees the complete temporary
        throw refused;
      },
    })).toThrow(refused);
    expect(seen).toBe('new');
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['index.faiss']);
    expect(() => writeFileAtomicSync(path, ['new'], { check: () => { throw new Error('short read'); } })).toThrow(/could not write .*index\.faiss: short read/);
    expect(readdirSync(dir)).toEqual(['index.faiss']);
  });

  it('fails as an IO error naming the path when the directory does not exist', () => {
    const path = join(root, 'no-such-dir', 'out.bin');
    try {
      writeFileAtomicSync(path, ['x']);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(LibvqError);
      expect((e as LibvqError).code).toBe('IO');
      expect((e as Error).message).toContain(`could not write ${path}`);
    }
  });
});

describe('writeDirectoryAtomic', () => {
  it('publishes the filled directory in one rename, replacing an incomplete one', async () => {
    const parent = freshDir();
    const dir = join(parent, 'model');
    mkdirSync(dir);
    writeFileSync(join(dir, 'half'), 'x');
    await writeDirectoryAtomic(dir, async (tmp) => {
      expect(existsSync(dir)).toBe(true); // the old one stays until the new one is complete
      await writeFile(join(tmp, 'a.json'), '{}');
      await writeFile(join(tmp, 'b.bin'), 'b');
    });
    expect(readdirSync(dir).sort()).toEqual(['a.json', 'b.bin']);
    expect(readdirSync(parent)).toEqual(['model']);
  });

  it('keeps a complete directory another process published meanwhile, dropping its own copy', async () => {
    const parent = freshDir();
    const dir = join(parent, 'model');
    await writeDirectoryAtomic(dir, async (tmp) => {
      await writeFile(join(tmp, 'mine'), '');
      mkdirSync(dir);
      writeFileSync(join(dir, 'theirs'), '');
    }, { isComplete: async (d) => existsSync(join(d, 'theirs')) });
    expect(readdirSync(dir)).toEqual(['theirs']);
    expect(readdirSync(parent)).toEqual(['model']);
  });

  it('on a failing fill leaves the old directory and no temporary', async () => {
    const parent = freshDir();
    const dir = join(parent, 'model');
    mkdirSync(dir);
    writeFileSync(join(dir, 'old'), '');
    await expect(writeDirectoryAtomic(dir, async (tmp) => {
      await writeFile(join(tmp, 'partial'), '');
      throw new Error('out of space');
    })).rejects.toThrow(/could not write .*model: out of space/);
    expect(readdirSync(dir)).toEqual(['old']);
    expect(readdirSync(parent)).toEqual(['model']);
  });
});
