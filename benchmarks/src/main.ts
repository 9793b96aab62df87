/** `pnpm bench <name> [options]`: runs one benchmark of the suite (the table in suite.ts, shared with `libvq bench`). */
import { LibvqError } from '@libvq/index-core';
import { BENCHMARKS, runBenchmark } from './suite.js';

const [name, ...rest] = process.argv.slice(2);
if (!name || !Object.hasOwn(BENCHMARKS, name)) {
  console.error(`usage: pnpm bench <${Object.keys(BENCHMARKS).join('|')}> [--quick] [...] (or: pnpm libvq bench --help)`);
  process.exitCode = 2;
} else {
  try {
    await runBenchmark(name, rest);
  } catch (e) {
    // A usage error in one line; anything else keeps its stack (a benchmark is a development tool).
    if (!(e instanceof LibvqError) || e.code !== 'INVALID_ARGUMENT') throw e;
    console.error(`pnpm bench ${name}: ${e.message}`);
    process.exitCode = 2;
  }
}
