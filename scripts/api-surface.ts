import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// `node --import tsx scripts/api-surface.ts [--names]`: the names each package's main entry exports (values and
// types), counted with the TypeScript checker, so the public API is seen — and kept small — as a whole; the named
// subpath entries (`@libvq/train/grad`, ...) are listed after them.

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every entry of every package: [specifier, source file], from package.json "exports" (the "source" condition). */
export function packageEntries(): (readonly [string, string])[] {
  return readdirSync(`${root}packages`).flatMap((p) => {
    const pj = JSON.parse(readFileSync(`${root}packages/${p}/package.json`, 'utf8')) as { exports: Record<string, unknown> };
    return Object.entries(pj.exports)
      .filter(([, v]) => typeof v === 'object' && v !== null && 'source' in v)
      .map(([k, v]) => [k === '.' ? `@libvq/${p}` : `@libvq/${p}/${k.slice(2)}`, `${root}packages/${p}/${(v as { source: string }).source.slice(2)}`] as const);
  });
}

/** Names per entry; `subpaths: false` (the budgeted count) keeps the main entries only. */
export function exportedNames(opts: { subpaths?: boolean } = {}): Record<string, string[]> {
  const entries = packageEntries().filter(([spec]) => opts.subpaths === true || spec.split('/').length === 2);
  const program = ts.createProgram(entries.map(([, f]) => f), {
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
    customConditions: ['source'], skipLibCheck: true, noEmit: true,
  });
  const checker = program.getTypeChecker();
  const out: Record<string, string[]> = {};
  for (const [name, file] of entries) {
    const sf = program.getSourceFile(file);
    const sym = sf && checker.getSymbolAtLocation(sf);
    out[name] = sym ? checker.getExportsOfModule(sym).map((s) => s.getName()).sort() : [];
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const names = exportedNames({ subpaths: true });
  let total = 0;
  for (const [entry, list] of Object.entries(names)) {
    if (entry.split('/').length === 2) total += list.length;
    console.log(`${entry}: ${list.length}${process.argv.includes('--names') ? `\n  ${list.join(', ')}` : ''}`);
  }
  console.log(`total: ${total} exported names in the main entries (subpath entries listed, not counted)`);
}
