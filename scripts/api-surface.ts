import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// `node --import tsx scripts/api-surface.ts [--names]`: the names each package's main entry exports (values and
// types), counted with the TypeScript checker, so the public API is seen — and kept small — as a whole.

const root = fileURLToPath(new URL('..', import.meta.url));

export function exportedNames(): Record<string, string[]> {
  const entries = readdirSync(`${root}packages`).map((p) => [`@libvq/${p}`, `${root}packages/${p}/src/index.ts`] as const);
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
  const names = exportedNames();
  let total = 0;
  for (const [pkg, list] of Object.entries(names)) {
    total += list.length;
    console.log(`${pkg}: ${list.length}${process.argv.includes('--names') ? `\n  ${list.join(', ')}` : ''}`);
  }
  console.log(`total: ${total} exported names in the main entries`);
}
