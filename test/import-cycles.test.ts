import { execFileSync } from 'node:child_process';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageEntries } from '../scripts/api-surface.js';

// No import cycles between modules (issue 12): a cycle lets a bundler order modules so that a class extends
// `undefined`, and makes layers impossible to reason about. dpdm walks every package entry (each package's main and
// subpath entries from its exports map, the index worker's entry, the CLI) and lists the cycles; runtime imports must have none.
const root = fileURLToPath(new URL('..', import.meta.url));
const dpdm = `${root}node_modules/.bin/dpdm`;
const entries = [
  ...packageEntries().map(([, file]) => relative(root, file)),
  'packages/index-core/src/thread-entry.ts',
  'apps/cli/src/main.ts',
];

function cycles(typeImportsToo: boolean): string[] {
  const args = ['--no-warning', '--no-tree', '--exit-code', 'circular:0', ...(typeImportsToo ? [] : ['-T']), ...entries];
  const out = execFileSync(dpdm, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  return out.split('\n').filter((l) => /^\s+\d+\)\s/.test(l)).map((l) => l.trim());
}

describe('import cycles', () => {
  it('none among runtime imports, in any package', () => {
    expect(cycles(false)).toEqual([]);
  }, 120_000);

  it('none at all in @libvq/index-core, type imports included (the thread layer imports nothing above it)', () => {
    expect(cycles(true).filter((c) => c.includes('packages/index-core/'))).toEqual([]);
  }, 120_000);
});
