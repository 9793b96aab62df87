import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The publishable packages as a user gets them: `pnpm pack` each one (workspace:* becomes the version), install
 * the tarballs into an empty directory (pnpm overrides point the packages' own @libvq/* dependencies at the
 * tarballs; external dependencies come from the pnpm store, so no registry is needed), then import each in
 * ESM and CJS and compile a TypeScript consumer against the shipped .d.ts / .d.cts. Run after `pnpm build`
 * (.ci/run builds first); a package without dist/ is built here.
 */
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PACKAGES = ['index-core', 'dataset', 'encoder', 'glove', 'train'] as const;
/** One long-standing export per package, to prove the module that loaded is the package. */
const PROBE: Record<(typeof PACKAGES)[number], string> = {
  'index-core': 'indexFactory', dataset: 'evaluateRanking', encoder: 'BaseEncoder', glove: 'GLOVE100_MODEL_NAME', train: 'LearnableIndex',
};
const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'libvq-pack-'));
const tgz = join(root, 'tgz');
const app = join(root, 'app');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const pnpm = (args: string[], cwd: string) => run('pnpm', args, { cwd, maxBuffer: 1 << 24, env: { ...process.env, CI: 'true' } });

beforeAll(async () => {
  mkdirSync(tgz);
  mkdirSync(app);
  for (const p of PACKAGES) {
    const dir = join(repo, 'packages', p);
    if (!existsSync(join(dir, 'dist', 'index.js'))) await pnpm(['run', 'build'], dir);
    await pnpm(['pack', '--pack-destination', tgz], dir);
  }
  const deps = Object.fromEntries(PACKAGES.map((p) => [`@libvq/${p}`, `file:${join(tgz, `libvq-${p}-0.1.0.tgz`)}`]));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '0.0.0', private: true, dependencies: deps, pnpm: { overrides: deps } }));
  await pnpm(['install', '--offline'], app);
}, 240_000);

describe('packed tarballs', () => {
  it('rewrite workspace:* to versions and ship dist with types', () => {
    for (const p of PACKAGES) {
      const pkg = JSON.parse(readFileSync(join(app, 'node_modules', '@libvq', p, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; exports: Record<string, Record<string, Record<string, string>>> };
      for (const [name, v] of Object.entries(pkg.dependencies ?? {})) expect(v, `${p} -> ${name}`).not.toMatch(/^workspace:/);
      const types = [pkg.exports['.'].import.types, pkg.exports['.'].require.types];
      for (const t of types) expect(existsSync(join(app, 'node_modules', '@libvq', p, t)), `${p} ${t}`).toBe(true);
    }
  });

  it.each(PACKAGES)('@libvq/%s imports in ESM and CJS', async (p) => {
    const probe = PROBE[p];
    const esm = await run(process.execPath, ['--input-type=module', '-e', `const m = await import('@libvq/${p}'); console.log(typeof m.${probe}, Object.keys(m).length)`], { cwd: app });
    const cjs = await run(process.execPath, ['-e', `const m = require('@libvq/${p}'); console.log(typeof m.${probe}, Object.keys(m).length)`], { cwd: app });
    expect(esm.stdout.split(' ')[0]).toMatch(/^(function|string)$/);
    expect(cjs.stdout).toBe(esm.stdout); // the same exports both ways
  });

  it('a TypeScript consumer compiles against the shipped declarations (node16 resolution, ESM and CJS)', async () => {
    writeFileSync(join(app, 'esm.mts'), [
      ...PACKAGES.map((p) => `import { ${PROBE[p]} } from '@libvq/${p}';`),
      "import type { Matrix } from '@libvq/index-core';",
      'const m: Matrix = { rows: 0, dim: 4, data: new Float32Array(0) };',
      `export const all = [${PACKAGES.map((p) => PROBE[p]).join(', ')}, m];`,
    ].join('\n'));
    writeFileSync(join(app, 'cjs.cts'), [
      "import core = require('@libvq/index-core');",
      "import train = require('@libvq/train');",
      'const m: core.Matrix = { rows: 0, dim: 4, data: new Float32Array(0) };',
      'export const all = [train.LearnableIndex, m];',
    ].join('\n'));
    writeFileSync(join(app, 'bad.mts'), "import { notExported } from '@libvq/train';\nexport const x = notExported;\n");
    // skipLibCheck: @huggingface/tokenizers' own declarations do not pass node16 checks; ours are resolved either way.
    const tsc = (files: string[]) =>
      run(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--skipLibCheck', '--typeRoots', join(repo, 'node_modules', '@types'), '--types', 'node', ...files], { cwd: app });
    await tsc(['esm.mts', 'cjs.cts']);
    // The oracle that the check can fail: a name the package does not export is an error.
    await expect(tsc(['bad.mts'])).rejects.toMatchObject({ stdout: expect.stringContaining("has no exported member 'notExported'") });
  });
});
