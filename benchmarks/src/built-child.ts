/**
 * A benchmark child as users run libvq-ts: plain `node` on the built packages (dist/), no TypeScript loader.
 * tsx alone adds ~33 MB of resident set (its loader hooks run in a V8 isolate of their own) and compiles the
 * sources as they load, which is not what a user's process pays; the peak-RSS column against faiss must not
 * carry it. The child's own module (a few lines of TypeScript in this package) is bundled by esbuild into one
 * .mjs under benchmarks/.cache/, its `@libvq/*` imports left as they are, so Node resolves them through the
 * workspace links to each package's `exports` — the dist/ files a user installs.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { LibvqError } from '@libvq/index-core';

/** How a benchmark child runs libvq-ts: the built packages under plain node (what users run), or the sources through tsx. */
export type ChildCode = 'built' | 'source';

const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url));

/** Newest modification time (ms) of the files under dir, recursively. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(e.parentPath ?? dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** The real path of `name`'s package.json as Node finds it from `from` (node_modules of `from`'s folder or above). */
function linkedManifest(name: string, from: string): string {
  for (let d = dirname(from); ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return realpathSync(candidate);
    if (dirname(d) === d) throw new LibvqError('INVALID_ARGUMENT', `${name} is not installed where ${from} can import it: run \`pnpm install\``);
  }
}

/** A package name of an import path: '@libvq/index-core/util' → '@libvq/index-core'. */
const packageOf = (path: string) => path.split('/').slice(0, 2).join('/');

/**
 * Checks that every workspace package the child reaches (directly or through their dependencies) has a dist/
 * at least as new as its src/: a stale build would benchmark yesterday's code under today's commit.
 */
export function checkBuilt(packages: Iterable<string>, from: string): void {
  const seen = new Set<string>();
  const visit = (name: string, requirer: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const manifestPath = linkedManifest(name, requirer);
    const dir = dirname(manifestPath);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { dependencies?: Record<string, string> };
    let distTime = 0;
    try {
      distTime = newestMtime(join(dir, 'dist'));
    } catch {
      throw new LibvqError('INVALID_ARGUMENT', `${name} is not built (${join(dir, 'dist')} is missing): run \`pnpm build\` first, or pass --code source`);
    }
    if (newestMtime(join(dir, 'src')) > distTime) {
      throw new LibvqError('INVALID_ARGUMENT', `${name}: src/ is newer than dist/ (an old build): run \`pnpm build\` first, or pass --code source`);
    }
    for (const [dep, version] of Object.entries(manifest.dependencies ?? {})) {
      if (version.startsWith('workspace:')) visit(dep, manifestPath);
    }
  };
  for (const name of packages) visit(name, from);
}

/**
 * Bundles a child entry of this package into benchmarks/.cache/children/<name>.mjs and returns its path, after
 * checking that the @libvq packages it imports are built and current.
 */
export async function builtChildEntry(entry: URL): Promise<string> {
  const source = fileURLToPath(entry);
  const outfile = join(BENCH_DIR, '.cache', 'children', basename(source).replace(/\.ts$/, '.mjs'));
  mkdirSync(dirname(outfile), { recursive: true });
  const result = await build({
    entryPoints: [source], outfile, bundle: true, packages: 'external', platform: 'node', format: 'esm',
    target: 'node20', metafile: true, logLevel: 'silent', sourcemap: false,
  });
  const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports);
  const workspace = new Set(imports.filter((i) => i.external && i.path.startsWith('@libvq/')).map((i) => packageOf(i.path)));
  checkBuilt(workspace, outfile);
  return outfile;
}
