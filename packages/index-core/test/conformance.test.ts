/**
 * One conformance suite for every backend (TensorFlow.js's lesson): each kernel against a float64 brute-force
 * reference, with stated tolerances. The suite itself is the library's (`@libvq/index-core/testing`, the same
 * cases a backend registered from outside runs); this file lists index-core's backends. A new backend joins by
 * adding a line to `backends`.
 */
import { afterAll, describe, it } from 'vitest';
import { type Backend, jsBackend } from '../src/backend.js';
import { createGpujsBackend } from '../src/gpujs.js';
import { createNativeBackend } from '../src/backend/native/index.js';
import { backendConformanceCases } from '../src/testing/index.js';

/**
 * The backends and their relative tolerance on scores. js and gpujs 'cpu' accumulate float32 inputs in
 * float64 JavaScript numbers; gpujs 'webasm' and 'gpu' accumulate in float32 (d ≤ 64 terms: ~1e-5
 * relative), so 1e-4 holds for all. The gpujs cases set minWork 0 so every kernel runs in gpu.js, never
 * the js fallback; 'cpu, tiny calls' caps each kernel call at 97 output cells, so every kernel is split
 * into many calls (tiles, query blocks, IVF batches, lists cut into pieces, queries spanning batches).
 * Mode 'gpu' joins only where headless-gl opens a context (a built `gl` module under a display); CI has
 * none, and runs the cpu and webasm cases. 'native' runs the dense products on onnxruntime's MLAS (float32
 * accumulation with FMA); 'native, tiny calls' splits every product into calls of at most 97 scores.
 */
const REL_TOL = 1e-4;
const gl = createGpujsBackend({ minWork: 0 });
const backends: [string, Backend][] = [
  ['js', jsBackend],
  ['gpujs cpu', createGpujsBackend({ mode: 'cpu', minWork: 0 })],
  ['gpujs cpu, tiny calls', createGpujsBackend({ mode: 'cpu', minWork: 0, maxOutput: 97 })],
  ['gpujs webasm', createGpujsBackend({ mode: 'webasm', minWork: 0 })],
  ['native', createNativeBackend()],
  ['native, tiny calls', createNativeBackend({ maxOutput: 97 })],
  ...(gl.mode === 'gpu' ? [['gpujs gpu', gl] as [string, Backend]] : []),
];

afterAll(async () => {
  for (const [, b] of backends) if ('dispose' in b) await (b as { dispose(): Promise<void> }).dispose();
  await gl.dispose();
});

describe.each(backends)('backend %s', (_name, be) => {
  for (const c of backendConformanceCases(be, { relTol: REL_TOL })) it(c.name, c.run);
});
