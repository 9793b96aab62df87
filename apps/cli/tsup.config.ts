import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/main.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  // The repository's benchmarks, a development dependency that `libvq bench` imports only when present (commands/bench.ts).
  external: ['@libvq/benchmarks'],
});
