import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readVersion, versionsDirOf, writeDirAtomic } from '../src/checkpoint/index.js';

/**
 * Checkpoint directories under concurrent saves and loads (checkpoint/versioned-dir.ts). The stress run is the
 * script packages/train/scripts/checkpoint-stress.ts with few rounds (run it by hand with --rounds 1000); the
 * other cases set up the races deterministically.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'libvq-ck-conc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');

/** What lies next to checkpoint `dir` besides its link and versions directory, and in that directory besides the current version. */
function leftovers(dir: string): string[] {
  const versions = versionsDirOf(dir);
  const current = basename(readlinkSync(dir));
  return readdirSync(versions).filter((f) => f !== current && f !== `${current}.done`);
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  expect(r.status).toBe(0);
  return r.pid!;
}

describe('checkpoint directories under concurrency', () => {
  it('3 writer processes x 100 saves and 1 reader loading in a loop: no failure, no mixed checkpoint, nothing left behind', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'packages/train/scripts/checkpoint-stress.ts', '--rounds', '100', '--json'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let s = '';
      p.stdout.on('data', (b: Buffer) => (s += b.toString()));
      p.on('error', reject);
      p.on('close', () => resolve(s));
    });
    const r = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(r.errors).toEqual([]);
    expect(r.saves).toBe(300);
    expect(r.saveFailures).toBe(0);
    expect(r.loads).toBeGreaterThan(10); // the reader really ran while the writers did
    expect(r.loadFailures).toBe(0);
    expect(r.stray).toEqual([]);
  }, 60_000);

  it('a save leaves only the current version; the link is what faiss and readers open', () => {
    const dir = join(tmp, 'plain');
    writeDirAtomic(dir, { 'a.txt': bytes('one') });
    writeDirAtomic(dir, { 'a.txt': bytes('two') });
    expect(lstatSync(dir).isSymbolicLink()).toBe(true);
    expect(text(dir, 'a.txt')).toBe('two');
    expect(leftovers(dir)).toEqual([]);
    expect(readdirSync(tmp).sort()).toEqual(['.plain.versions', 'plain']);
  });

  it('removes what dead processes left (an unfinished version, a temporary link) and keeps a live writer\'s unfinished version', () => {
    const dir = join(tmp, 'stale');
    writeDirAtomic(dir, { 'a.txt': bytes('one') });
    const versions = versionsDirOf(dir);
    const dead = deadPid();
    const deadVersion = `v-${Date.now().toString(36)}-${dead}-0-aaaa`;
    mkdirSync(join(versions, deadVersion));
    writeFileSync(join(versions, deadVersion, 'a.txt'), 'half');
    symlinkSync(`.stale.versions/${deadVersion}`, join(versions, `link-${Date.now().toString(36)}-${dead}-0-aaaa`));
    // unfinished and not marked, but its writer (this process) is alive: it may be linked any moment
    const liveVersion = `v-${Date.now().toString(36)}-${process.pid}-0-bbbb`;
    mkdirSync(join(versions, liveVersion));
    writeDirAtomic(dir, { 'a.txt': bytes('two') });
    expect(leftovers(dir)).toEqual([liveVersion]);
    expect(text(dir, 'a.txt')).toBe('two');
  });

  it('turns a plain (pre-versioning) checkpoint directory into a versioned one', () => {
    const dir = join(tmp, 'legacy');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.txt'), 'old');
    expect(readVersion(dir, (v) => text(v, 'a.txt'))).toBe('old');
    writeDirAtomic(dir, { 'a.txt': bytes('new') });
    expect(lstatSync(dir).isSymbolicLink()).toBe(true);
    expect(text(dir, 'a.txt')).toBe('new');
    expect(leftovers(dir)).toEqual([]);
  });

  it('refuses to replace a symlink or file that is not a checkpoint; reads through a link of the user\'s own', () => {
    const target = join(tmp, 'elsewhere');
    writeDirAtomic(target, { 'a.txt': bytes('mine') });
    const link = join(tmp, 'foreign');
    symlinkSync(target, link);
    expect(readVersion(link, (v) => text(v, 'a.txt'))).toBe('mine');
    expect(() => writeDirAtomic(link, { 'a.txt': bytes('x') })).toThrow(/foreign: a symbolic link to .*elsewhere, not a libvq checkpoint/);
    expect(text(link, 'a.txt')).toBe('mine');
    const file = join(tmp, 'afile');
    writeFileSync(file, 'x');
    expect(() => writeDirAtomic(file, { 'a.txt': bytes('x') })).toThrow(/afile: exists and is not a directory/);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('a reader whose version is replaced and removed mid-read retries on the new one', () => {
    const dir = join(tmp, 'race');
    writeDirAtomic(dir, { 'a.txt': bytes('v1'), 'b.txt': bytes('v1') });
    const seen: string[] = [];
    const got = readVersion(dir, (v) => {
      const a = text(v, 'a.txt');
      // another process saves between this reader's two file reads; the save removes the version being read
      if (seen.push(a) === 1) writeDirAtomic(dir, { 'a.txt': bytes('v2'), 'b.txt': bytes('v2') });
      return [a, text(v, 'b.txt')];
    });
    expect(seen).toEqual(['v1', 'v2']);
    expect(got).toEqual(['v2', 'v2']); // never v1 with v2
  });

  it('a failure on the version that is still current is real: thrown at once, not retried', () => {
    const dir = join(tmp, 'broken');
    writeDirAtomic(dir, { 'a.txt': bytes('v1') });
    let calls = 0;
    expect(() =>
      readVersion(dir, (v) => {
        calls++;
        return text(v, 'missing.txt');
      }),
    ).toThrow(/ENOENT/);
    expect(calls).toBe(1);
    expect(existsSync(join(dir, 'a.txt'))).toBe(true);
  });
});
