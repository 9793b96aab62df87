import { type ExecFileOptions, execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const execFileAsync = promisify(execFile);
/**
 * Runs a program in the installed app as a user's shell would: without the NODE_PATH vitest exports (into the
 * repository's pnpm store), through which require() would find packages the install under test does not have.
 */
export function run(file: string, args: readonly string[], opts: ExecFileOptions = {}): Promise<{ stdout: string; stderr: string }> {
  const { NODE_PATH: _unused, ...env } = opts.env ?? process.env;
  return execFileAsync(file, args, { ...opts, env, encoding: 'utf8' });
}
const pnpm = (args: string[], cwd: string) => run('pnpm', args, { cwd, maxBuffer: 1 << 24, env: { ...process.env, CI: 'true' } });

/** Workspace directory of each publishable package. */
export const PACKAGE_DIRS = {
  'index-core': 'packages/index-core',
  dataset: 'packages/dataset',
  encoder: 'packages/encoder',
  glove: 'packages/glove',
  train: 'packages/train',
  cluster: 'packages/cluster',
  cli: 'apps/cli',
} as const;
export type PackageName = keyof typeof PACKAGE_DIRS;

/**
 * The packages as a user gets them: `pnpm pack` each (workspace:* becomes the version) and install the tarballs
 * into an empty directory `root/app` (pnpm overrides point the packages' own @libvq/* dependencies at the
 * tarballs; external dependencies come from the pnpm store, the registry only for metadata the store lacks).
 * Run after `pnpm build` (.ci/run builds first); a package without dist/ is built here.
 */
export async function installPacked(root: string, packages: readonly PackageName[]): Promise<string> {
  const tgz = join(root, 'tgz');
  const app = join(root, 'app');
  mkdirSync(tgz, { recursive: true });
  mkdirSync(app, { recursive: true });
  for (const p of packages) {
    const dir = join(repo, PACKAGE_DIRS[p]);
    if (!existsSync(join(dir, 'dist'))) await pnpm(['run', 'build'], dir);
    await pnpm(['pack', '--pack-destination', tgz], dir);
  }
  const deps = Object.fromEntries(packages.map((p) => [`@libvq/${p}`, `file:${join(tgz, `libvq-${p}-0.1.0.tgz`)}`]));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '0.0.0', private: true, dependencies: deps, pnpm: { overrides: deps } }));
  await pnpm(['install', '--prefer-offline'], app);
  return app;
}
