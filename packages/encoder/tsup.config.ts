import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // The CJS build needs import.meta.url (a tokenizer's worker factory names the module that loads it).
  shims: true,
  target: 'node20',
});
