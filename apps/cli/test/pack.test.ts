import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPacked, repo, run } from './helpers/packed-install.js';

/**
 * The publishable libraries as a user gets them (helpers/packed-install.ts): import each in ESM and CJS and
 * compile a TypeScript consumer against the shipped .d.ts / .d.cts. (The installed CLI: installed-cli.test.ts.)
 */
const PACKAGES = ['index-core', 'dataset', 'encoder', 'glove', 'train'] as const;
/** One long-standing export per package, to prove the module that loaded is the package. */
const PROBE: Record<(typeof PACKAGES)[number], string> = {
  'index-core': 'indexFactory', dataset: 'evaluateRanking', encoder: 'BaseEncoder', glove: 'GLOVE100_MODEL_NAME', train: 'LearnableIndex',
};
const root = mkdtempSync(join(tmpdir(), 'libvq-pack-'));
let app = '';
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  app = await installPacked(root, PACKAGES);
}, 240_000);

describe('packed tarballs', () => {
  it('rewrite workspace:* to versions and ship dist with types', () => {
    for (const p of PACKAGES) {
      const pkg = JSON.parse(readFileSync(join(app, 'node_modules', '@libvq', p, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; exports: Record<string, Record<string, Record<string, string>>> };
      for (const [name, v] of Object.entries(pkg.dependencies ?? {})) expect(v, `${p} -> ${name}`).not.toMatch(/^workspace:/);
      // every entry, the main one and each named subpath (@libvq/train/grad, ...), ships its code and its types
      for (const [entry, conditions] of Object.entries(pkg.exports)) {
        if (typeof conditions !== 'object') continue;
        const files = [conditions.import.types, conditions.import.default, conditions.require.types, conditions.require.default];
        for (const t of files) expect(existsSync(join(app, 'node_modules', '@libvq', p, t)), `${p} ${entry} ${t}`).toBe(true);
      }
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
    // No skipLibCheck: a consumer's strict tsc checks every declaration file our .d.ts pull in (those of
    // @huggingface/tokenizers fail node16 checks, TS2834, so our declarations do not import them).
    const tsc = (files: string[]) =>
      run(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--typeRoots', join(repo, 'node_modules', '@types'), '--types', 'node', ...files], { cwd: app });
    await tsc(['esm.mts', 'cjs.cts']);
    // The oracle that the check can fail: a name the package does not export is an error.
    await expect(tsc(['bad.mts'])).rejects.toMatchObject({ stdout: expect.stringContaining("has no exported member 'notExported'") });
  });
});
