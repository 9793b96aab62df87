import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readResults, writeVectors } from '@libvq/dataset';
import { clusteredVectors, libvq } from './index-fixtures.js';

// --backend on build and search: the gpujs backend is chosen, its mode reported, and its results are the js
// backend's (at this size every kernel call is below gpujs's work threshold and runs the js kernels; the
// kernels themselves are checked against float64 in index-core's conformance suite).
const root = mkdtempSync(join(tmpdir(), 'libvq-cli-backend-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = 0;
});

const base = clusteredVectors(800, 16, 21);
const queries = clusteredVectors(12, 16, 22);
const baseNpy = join(root, 'base.npy');
const queriesNpy = join(root, 'queries.npy');

beforeAll(async () => {
  await writeVectors(baseNpy, base);
  await writeVectors(queriesNpy, queries);
});

describe('--backend', () => {
  it('build and search with gpujs report the backend and mode, and match js byte for byte', async () => {
    const common = ['--factory', 'IVF8,PQ4x4', '--metric', 'l2', '--seed', '5'];
    const js = await libvq('build', baseNpy, ...common, '-o', join(root, 'js.faiss'));
    const gpu = await libvq('build', baseNpy, ...common, '--backend', 'gpujs', '-o', join(root, 'gpujs.faiss'));
    expect(js.code).toBe(0);
    expect(gpu.code).toBe(0);
    expect(js.out).not.toMatch(/, backend /);
    expect(gpu.out).toMatch(/\(l2, d = 16, backend gpujs \((cpu|gpu)\)\)/);
    expect(readFileSync(join(root, 'gpujs.faiss')).equals(readFileSync(join(root, 'js.faiss')))).toBe(true);

    const sjs = await libvq('search', '--index', join(root, 'js.faiss'), '--queries', queriesNpy, '--k', '10', '--nprobe', '3', '-o', join(root, 'js.arrow'));
    const sgpu = await libvq('search', '--index', join(root, 'js.faiss'), '--queries', queriesNpy, '--k', '10', '--nprobe', '3', '--backend', 'gpujs', '-o', join(root, 'gpujs.arrow'));
    expect(sjs.code).toBe(0);
    expect(sgpu.code).toBe(0);
    expect(sgpu.out).toMatch(/ntotal 800, backend gpujs \((cpu|gpu)\)\)/);
    const a = await readResults(join(root, 'js.arrow'));
    const b = await readResults(join(root, 'gpujs.arrow'));
    expect(Array.from(b.labels as BigInt64Array)).toEqual(Array.from(a.labels as BigInt64Array));
    expect(Array.from(b.distances)).toEqual(Array.from(a.distances));
  });

  it('build and search with native report the backend; the index finds what the js-built one finds', async () => {
    // MLAS sums the products in another order than the js kernels, so the bytes may differ; what must hold is
    // that the native build is a working index of the same quality: the labels of a search agree with js.
    const common = ['--factory', 'IVF8,PQ4x4', '--metric', 'l2', '--seed', '5'];
    const nat = await libvq('build', baseNpy, ...common, '--backend', 'native', '-o', join(root, 'native.faiss'));
    expect(nat.code).toBe(0);
    expect(nat.out).toMatch(/\(l2, d = 16, backend native\)/);
    const search = (index: string, backend: string) =>
      libvq('search', '--index', join(root, index), '--queries', queriesNpy, '--k', '10', '--nprobe', '8', '--backend', backend, '-o', join(root, `${index}-${backend}.arrow`));
    const sn = await search('native.faiss', 'native');
    const sj = await search('js.faiss', 'js');
    expect(sn.code).toBe(0);
    expect(sj.code).toBe(0);
    expect(sn.out).toMatch(/ntotal 800, backend native\)/);
    const a = await readResults(join(root, 'js.faiss-js.arrow'));
    const b = await readResults(join(root, 'native.faiss-native.arrow'));
    // Oracle: the true nearest neighbour of every query by brute force (float64). nprobe 8 of 8 lists scans every
    // vector, so each index finds it unless its codebooks lose it; the native build must do as well as js's, ±1.
    const found = (labels: ArrayLike<bigint | number>) => {
      let hits = 0;
      for (let q = 0; q < queries.rows; q++) {
        let best = -1;
        let bd = Infinity;
        for (let i = 0; i < base.rows; i++) {
          let d = 0;
          for (let t = 0; t < 16; t++) d += (queries.data[q * 16 + t] - base.data[i * 16 + t]) ** 2;
          if (d < bd) {
            bd = d;
            best = i;
          }
        }
        for (let r = 0; r < 10; r++) if (Number(labels[q * 10 + r]) === best) hits++;
      }
      return hits;
    };
    const hitsJs = found(a.labels as BigInt64Array);
    const hitsNative = found(b.labels as BigInt64Array);
    expect(hitsNative, `native ${hitsNative} js ${hitsJs} of ${queries.rows}`).toBeGreaterThanOrEqual(Math.max(hitsJs - 1, queries.rows / 2));
  });

  it('refuses a backend that does not exist, naming the choices', async () => {
    const r = await libvq('search', '--index', 'x.faiss', '--queries', queriesNpy, '--backend', 'cuda', '-o', join(root, 'x.arrow'));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--backend <name>' argument 'cuda' is invalid\. Allowed choices are js, gpujs, native/);
  });
});
