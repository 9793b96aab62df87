import { defineConfig } from 'tsup';

export default defineConfig({
  // The tokenizer worker is its own entry: worker-pool.ts loads it as ./tokenize-worker.js next to the bundle.
  entry: { index: 'src/index.ts', 'tokenize-worker': 'src/preprocess/tokenize-worker.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  shims: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
