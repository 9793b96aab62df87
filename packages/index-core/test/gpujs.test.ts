/**
 * The gpujs backend beyond the kernel conformance suite: whole indexes searched through it against the
 * js backend, its js fallback below the work threshold, its options and errors, and lazy loading.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { IndexIVFPQ, LibvqError, indexFactory, type Metric } from '../src/index.js';
import { getBackend, jsBackend } from '../src/backend.js';
import { type GpujsBackend, createGpujsBackend } from '../src/gpujs.js';
import { structuredData } from './helpers/data.js';

const cpu = createGpujsBackend({ mode: 'cpu', minWork: 0 });
const webasm = createGpujsBackend({ mode: 'webasm', minWork: 0 });
/** Mode 'gpu' where headless-gl opens a context (never in CI: no `gl` build, no display). */
const gl = createGpujsBackend({ minWork: 0 });
const modes = [['cpu', cpu], ['webasm', webasm], ...(gl.mode === 'gpu' ? [['gpu', gl]] : [])] as [string, GpujsBackend][];
afterAll(async () => {
  for (const [, b] of modes) await b.dispose();
  await gl.dispose();
});

const base = structuredData(1500, 32, 41);
const queries = structuredData(40, 32, 42);

describe.each(['ip', 'l2'] as Metric[])('IVF16,PQ8x8 (%s) searched through gpujs', (metric) => {
  const index = indexFactory(32, 'IVF16,PQ8x8', metric) as IndexIVFPQ;
  index.trainSync(base, { seed: 7 });
  index.addSync(base);
  const params = { k: 10, nprobe: 4 };
  const ref = index.searchSync(queries, params);

  // Sums differ in width and order (gpujs cpu: float64; webasm and gpu: float32; js's ADC scan: float32 in
  // faiss's order), so distances agree to 1e-5 relative, and a label may differ from js's only by swapping
  // with a neighbour of the same query whose distance is within that tolerance; at most 1% of them do.
  it.each(modes)('mode %s returns the js labels and distances', (_mode, be) => {
    index.backend = be;
    const r = index.searchSync(queries, params);
    index.backend = jsBackend;
    let swapped = 0;
    for (let i = 0; i < ref.labels.length; i++) {
      const tol = 1e-5 * Math.max(1, Math.abs(ref.distances[i]));
      expect(Math.abs(r.distances[i] - ref.distances[i])).toBeLessThanOrEqual(tol);
      if (r.labels[i] !== ref.labels[i]) {
        swapped++;
        const j = Array.from(ref.labels).indexOf(r.labels[i]);
        expect(Math.floor(j / params.k)).toBe(Math.floor(i / params.k));
        expect(Math.abs(ref.distances[j] - r.distances[i])).toBeLessThanOrEqual(tol);
      }
    }
    expect(swapped).toBeLessThanOrEqual(0.01 * ref.labels.length);
    expect(r.distances.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('trained, added and searched on gpujs cpu from the start: the js centroids, codebooks and labels', () => {
    const g = indexFactory(32, 'IVF16,PQ8x8', metric, cpu) as IndexIVFPQ;
    g.trainSync(base, { seed: 7 });
    g.addSync(base);
    expect(Array.from(g.quantizer.vectors.data)).toEqual(Array.from(index.quantizer.vectors.data));
    expect(Array.from(g.pq.centroids)).toEqual(Array.from(index.pq.centroids));
    const r = g.searchSync(queries, params);
    expect(Array.from(r.labels)).toEqual(Array.from(ref.labels));
  });
});

describe('gpujs backend', () => {
  it('runs small calls on the js kernels (below minWork) and large ones on gpu.js', () => {
    const x = structuredData(20, 8, 1);
    const spy = vi.spyOn(jsBackend, 'knn');
    try {
      const lazy = createGpujsBackend({ mode: 'cpu', minWork: 20 * 20 * 8 + 1 });
      lazy.knn(x, x, 3, 'l2');
      expect(spy).toHaveBeenCalledTimes(1);
      const eager = createGpujsBackend({ mode: 'cpu', minWork: 20 * 20 * 8 });
      const r = eager.knn(x, x, 3, 'l2');
      expect(spy).toHaveBeenCalledTimes(1);
      expect(Array.from(r.labels.filter((_, i) => i % 3 === 0))).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      spy.mockRestore();
    }
  });

  it('outputs Float32Array in the js layout, no NaN, and works again after dispose', async () => {
    const be = createGpujsBackend({ mode: 'cpu', minWork: 0 });
    const x = structuredData(9, 12, 2);
    const y = structuredData(13, 12, 3);
    const d = be.distances(x, y, 'l2');
    expect(d).toBeInstanceOf(Float32Array);
    expect(Array.from(d)).toEqual(Array.from(be.distances(x, y, 'l2')));
    const js = jsBackend.distances(x, y, 'l2');
    for (let i = 0; i < d.length; i++) expect(Math.abs(d[i] - js[i])).toBeLessThanOrEqual(1e-4 * Math.max(1, js[i]));
    expect(d.some(Number.isNaN)).toBe(false);
    await be.dispose();
    expect(Array.from(be.distances(x, y, 'l2'))).toEqual(Array.from(d));
    await be.dispose();
  });

  it('names the mode it chose; getBackend("gpujs") is one shared instance', () => {
    const b = getBackend('gpujs') as ReturnType<typeof createGpujsBackend>;
    expect(b.name).toBe('gpujs');
    expect(['gpu', 'cpu']).toContain(b.mode);
    expect(getBackend('gpujs')).toBe(b);
    expect(cpu.mode).toBe('cpu');
    expect(webasm.mode).toBe('webasm');
  });

  it('refuses bad options with errors naming them', () => {
    expect(() => createGpujsBackend({ mode: 'cuda' as 'cpu' })).toThrow(/gpujs mode: expected 'auto', 'gpu', 'webasm', 'cpu', got "cuda"/);
    expect(() => createGpujsBackend({ minWork: -1 })).toThrow(/minWork: expected a number ≥ 0, got -1/);
    expect(() => createGpujsBackend({ maxOutput: 0 })).toThrow(/maxOutput: expected a positive integer, got 0/);
    expect(() => getBackend('cuda')).toThrow(/backend: expected one of 'js', 'gpujs', 'native', got "cuda"/);
    if (createGpujsBackend().mode !== 'gpu') {
      // no GL context here: asking for the GPU is an error, never a silent CPU run
      expect(() => createGpujsBackend({ mode: 'gpu' })).toThrow(LibvqError);
      expect(() => createGpujsBackend({ mode: 'gpu' })).toThrow(/needs headless-gl/);
    }
  });

  it('importing index-core, or its gpujs / backend subpaths, does not load gpu.js; getBackend("gpujs") does', async () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    const script = [
      "import { createRequire } from 'node:module';",
      "const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((p) => p.includes('gpu.js'));",
      "const core = await import('./src/index.ts');",
      "const sub = await import('./src/gpujs.ts');",
      "const backend = await import('./src/backend.ts');",
      'const before = loaded();',
      "const names = { main: 'createGpujsBackend' in core, subpath: typeof sub.createGpujsBackend };",
      "const b = backend.getBackend('gpujs');",
      'console.log(JSON.stringify({ before, names, after: loaded(), mode: b.mode }));',
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root });
    const r = JSON.parse(stdout) as { before: boolean; names: { main: boolean; subpath: string }; after: boolean; mode: string };
    expect(r.before).toBe(false);
    expect(r.names).toEqual({ main: false, subpath: 'function' }); // createGpujsBackend is on the subpath only
    expect(r.after).toBe(true);
    expect(['gpu', 'cpu']).toContain(r.mode);
  });
});
