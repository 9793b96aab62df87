import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { LibvqError } from '@libvq/index-core';
import { ONNXRUNTIME_NODE_VERSION, loadOnnxRuntime, onnxRuntimeLoadError } from '../src/onnx-encoder.js';

/*
 * onnxruntime-node is an optional peer of @libvq/encoder, loaded on first use (issue 16). Its real absence is
 * tested on an installed index-only package set (apps/cli/test/index-only-install.test.ts); here: the version the
 * install hint names, and how a load failure is told apart from an absent package.
 */
describe('loading onnxruntime-node lazily', () => {
  it('the install hint names the version the package pins, which its peer range admits', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      dependencies: Record<string, string>; devDependencies: Record<string, string>; peerDependencies: Record<string, string>; peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    expect(pkg.dependencies['onnxruntime-node']).toBeUndefined();
    expect(pkg.devDependencies['onnxruntime-node']).toBe(ONNXRUNTIME_NODE_VERSION);
    expect(pkg.peerDependencies['onnxruntime-node']).toBe(`^${ONNXRUNTIME_NODE_VERSION}`);
    expect(pkg.peerDependenciesMeta['onnxruntime-node'].optional).toBe(true);
  });

  it('loads once and shares the module', async () => {
    const a = await loadOnnxRuntime();
    expect(typeof a.InferenceSession.create).toBe('function');
    expect(await loadOnnxRuntime()).toBe(a);
  });

  it('an absent package gets the install command, whether import() or require() failed', () => {
    // Node's own errors when the package itself cannot be found (ESM, then CJS wording).
    const esm = Object.assign(new Error("Cannot find package 'onnxruntime-node' imported from /app/node_modules/@libvq/encoder/dist/index.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    const cjs = Object.assign(new Error("Cannot find module 'onnxruntime-node'\nRequire stack:\n- /app/node_modules/@libvq/encoder/dist/index.cjs"), { code: 'MODULE_NOT_FOUND' });
    for (const err of [esm, cjs]) {
      const e = onnxRuntimeLoadError(err);
      expect(e).toBeInstanceOf(LibvqError);
      expect(e.code).toBe('UNSUPPORTED');
      expect(e.message).toContain(`install onnxruntime-node (ONNXRUNTIME_NODE_INSTALL=skip npm i onnxruntime-node@${ONNXRUNTIME_NODE_VERSION}) to run ONNX models`);
      expect(e.cause).toBe(err);
    }
  });

  it('a file missing inside an installed onnxruntime-node is a broken install, not an absent one', () => {
    let err: unknown;
    try {
      createRequire(import.meta.url)('onnxruntime-node/no-such-file');
    } catch (e) {
      err = e;
    }
    expect(err).toBeDefined();
    const e = onnxRuntimeLoadError(err);
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toMatch(/^onnxruntime-node is installed but did not load \(.*no-such-file/s);
  });
});
