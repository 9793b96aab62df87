import { defineConfig, type Options } from 'tsup';

/**
 * The one build every library package shares: ESM + CJS + .d.ts from src/index.ts for Node 20.
 * `shims` gives the CJS build import.meta.url (tokenizer workers and the glove package locate files by it).
 */
export function libraryConfig(extra: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    shims: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    ...extra,
  });
}
