import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBuilt } from '../src/built-child.js';

const root = mkdtempSync(join(tmpdir(), 'libvq-built-child-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A linked workspace package under root/node_modules with src/ and dist/ files of the given ages (seconds since epoch). */
function fakePackage(name: string, ages: { src: number; dist?: number }, deps: Record<string, string> = {}): void {
  const dir = join(root, 'node_modules', name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, dependencies: deps }));
  writeFileSync(join(dir, 'src', 'index.ts'), '');
  utimesSync(join(dir, 'src', 'index.ts'), ages.src, ages.src);
  if (ages.dist !== undefined) {
    mkdirSync(join(dir, 'dist'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'index.js'), '');
    utimesSync(join(dir, 'dist', 'index.js'), ages.dist, ages.dist);
  }
}

describe('checkBuilt (the benchmark children run on dist/)', () => {
  const from = join(root, 'child.mjs');
  fakePackage('@libvq/current', { src: 1000, dist: 2000 });
  fakePackage('@libvq/stale', { src: 3000, dist: 2000 });
  fakePackage('@libvq/unbuilt', { src: 1000 });
  fakePackage('@libvq/uses-stale', { src: 1000, dist: 2000 }, { '@libvq/stale': 'workspace:*', other: '^1.0.0' });

  it('accepts packages whose dist/ is at least as new as their src/', () => {
    expect(() => checkBuilt(['@libvq/current'], from)).not.toThrow();
  });

  it('refuses a missing or stale build, naming the package, and follows workspace dependencies', () => {
    expect(() => checkBuilt(['@libvq/unbuilt'], from)).toThrow(/@libvq\/unbuilt is not built .*pnpm build/);
    expect(() => checkBuilt(['@libvq/stale'], from)).toThrow(/@libvq\/stale: src\/ is newer than dist\//);
    expect(() => checkBuilt(['@libvq/uses-stale'], from)).toThrow(/@libvq\/stale: src\/ is newer/);
    expect(() => checkBuilt(['@libvq/absent'], from)).toThrow(/@libvq\/absent is not installed/);
  });
});
