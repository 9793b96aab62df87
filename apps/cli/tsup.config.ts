import { defineConfig } from 'tsup';

export default defineConfig({
  // The binary, and the chart renderer on its own entry for @libvq/cli/plot (the benchmarks draw with it); code
  // both use goes into a shared chunk.
  entry: { main: 'src/main.ts', plot: 'src/plot/index.ts' },
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  // The repository's benchmarks (a development dependency of the repository root), which `libvq bench` imports only
  // when present (commands/bench.ts).
  external: ['@libvq/benchmarks'],
});
