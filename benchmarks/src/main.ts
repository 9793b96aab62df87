/** `pnpm bench <name> [options]`: runs one benchmark of the suite. */
const benches: Record<string, () => Promise<{ main: (argv: string[]) => Promise<void> }>> = {
  glove: () => import('./glove-ann.js'),
  cranfield: () => import('./train-cranfield.js'),
  'glove-train': () => import('./train-glove.js'),
};

const [name, ...rest] = process.argv.slice(2);
const load = name ? benches[name] : undefined;
if (!load) {
  console.error(`usage: pnpm bench <${Object.keys(benches).join('|')}> [--quick] [...]`);
  process.exitCode = 2;
} else {
  await (await load()).main(rest);
}
