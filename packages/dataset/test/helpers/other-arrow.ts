import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * A second copy of apache-arrow in the workspace: the one @libvq/benchmarks resolves (18.1.0, the version
 * @lancedb/lancedb pins: LanceDB users' tables come from it). Undefined when it is the same copy as
 * @libvq/dataset's own (nothing to compare) or when benchmarks' dependencies are not installed.
 */
export interface ArrowCopy {
  version: string;
  /** The ESM entry, for import(). */
  url: string;
}

/** The repository root (this file is packages/dataset/test/helpers/other-arrow.ts). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

function copyFor(packageJson: string): { dir: string; version: string } | undefined {
  try {
    const dir = dirname(createRequire(packageJson).resolve('apache-arrow'));
    return { dir, version: (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version };
  } catch {
    return undefined;
  }
}

export function otherArrowCopy(): ArrowCopy | undefined {
  const ours = copyFor(join(ROOT, 'packages', 'dataset', 'package.json'));
  const other = copyFor(join(ROOT, 'benchmarks', 'package.json'));
  if (ours === undefined || other === undefined || other.version === ours.version) return undefined;
  return { version: other.version, url: pathToFileURL(join(other.dir, 'Arrow.node.mjs')).href };
}

/** The version of apache-arrow @libvq/dataset resolves. */
export function ourArrowVersion(): string {
  return copyFor(join(ROOT, 'packages', 'dataset', 'package.json'))!.version;
}
