import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the "source" export condition,
// so tests never need a build.
export default defineConfig({
  resolve: { conditions: ['source'] },
  // Vite 7 resolves test imports through its SSR environment, which reads its own conditions.
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'benchmarks/test/**/*.test.ts', 'fuzz/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Vitest's default is one fork on a 2-core machine (cores - 1). Many test files spend much of their time in
    // child processes, faiss (python) or I/O, so two forks finish the suite sooner on the 2-core CI machine.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
