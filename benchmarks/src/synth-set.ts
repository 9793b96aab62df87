/**
 * The synthetic scale set of the ANN benchmark (default 1,000,000 × 100): a seeded Gaussian mixture,
 * written straight to disk in blocks (the base never exists as a whole in this process).
 *
 * The model, so that both stages of IVF-PQ have something to find:
 *  - a latent spectrum s_j = 1 / (1 + j/8) (a few strong directions, a long weak tail, as in real
 *    embeddings: PQ sub-spaces of a plain split get very unequal variance, which OPQ evens out);
 *  - `components` clusters with log-normal weights, centres μ_c ~ N(0, diag(s²)) and per-cluster spreads
 *    σ_c ~ U(0.5, 1.0), points z = μ_c + σ_c · s ⊙ ε, ε ~ N(0, I) (clusters overlap: the coarse
 *    quantizer's lists do not coincide with them and nprobe matters);
 *  - one random rotation R of the whole space, x = R z (so no coordinate is special).
 * Queries are further draws from the same mixture with their own stream (held out: not in the base).
 */
import type { FileHandle } from 'node:fs/promises';
import { npyHeaderF32 } from '@libvq/dataset/formats';
import { createRng, gaussian, invalidArgument, mulABt, randomOrthogonal, writeAtomic, type Rng } from '@libvq/index-core/util';
import { type Matrix } from '@libvq/index-core';

export interface SynthSpec {
  rows: number;
  queries: number;
  dim: number;
  components: number;
  seed: number;
}

export const SYNTH1M: Omit<SynthSpec, 'seed'> = { rows: 1_000_000, queries: 1000, dim: 100, components: 1000 };

interface Mixture {
  dim: number;
  /** Cumulative weights, last = 1. */
  cdf: Float64Array;
  /** components × dim, in latent coordinates. */
  centres: Float32Array;
  sigmas: Float32Array;
  spectrum: Float32Array;
  rotation: Matrix;
}

function mixture(spec: SynthSpec): Mixture {
  const { dim, components } = spec;
  const rng = createRng(spec.seed);
  const spectrum = new Float32Array(dim);
  for (let j = 0; j < dim; j++) spectrum[j] = 1 / (1 + j / 8);
  const cdf = new Float64Array(components);
  let total = 0;
  for (let c = 0; c < components; c++) cdf[c] = total += Math.exp(0.5 * gaussian(rng));
  for (let c = 0; c < components; c++) cdf[c] /= total;
  cdf[components - 1] = 1;
  const centres = new Float32Array(components * dim);
  for (let c = 0; c < components; c++) for (let j = 0; j < dim; j++) centres[c * dim + j] = spectrum[j] * gaussian(rng);
  const sigmas = new Float32Array(components);
  for (let c = 0; c < components; c++) sigmas[c] = 0.5 + 0.5 * rng.next();
  return { dim, cdf, centres, sigmas, spectrum, rotation: randomOrthogonal(dim, rng) };
}

/** The first component whose cumulative weight exceeds u (binary search). */
function pick(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Fills `out` (rows × dim) with draws: latent points, then rotated by R through the blocked kernel. */
function draw(m: Mixture, rng: Rng, latent: Float32Array, rows: number): Float32Array {
  const d = m.dim;
  for (let i = 0; i < rows; i++) {
    const c = pick(m.cdf, rng.next());
    const sigma = m.sigmas[c];
    const o = i * d;
    for (let j = 0; j < d; j++) latent[o + j] = m.centres[c * d + j] + sigma * m.spectrum[j] * gaussian(rng);
  }
  return mulABt({ rows, dim: d, data: latent.subarray(0, rows * d) }, m.rotation).data;
}

const BLOCK_ROWS = 16384;

async function writeDraws(path: string, m: Mixture, rng: Rng, rows: number, onProgress?: (done: number, total: number) => void, npy = false): Promise<void> {
  const latent = new Float32Array(BLOCK_ROWS * m.dim);
  await writeAtomic(path, async (fh: FileHandle) => {
    if (npy) await fh.write(npyHeaderF32(rows, m.dim));
    for (let start = 0; start < rows; start += BLOCK_ROWS) {
      const n = Math.min(BLOCK_ROWS, rows - start);
      const x = draw(m, rng, latent, n);
      await fh.write(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
      onProgress?.(start + n, rows);
    }
  });
}

function checkSpec(spec: SynthSpec): void {
  for (const key of ['rows', 'queries', 'dim', 'components'] as const) {
    if (!Number.isInteger(spec[key]) || spec[key] < 1) throw invalidArgument(`synthetic set ${key}`, 'a positive integer', spec[key]);
  }
  if (!Number.isInteger(spec.seed) || spec.seed < 0 || spec.seed > 0xffffffff) throw invalidArgument('seed', 'an integer in [0, 2^32)', spec.seed);
}

/**
 * Writes the base and the queries as headerless float32 files (LibVQ's .memmap layout), or as .npy files. The same spec
 * gives the same bytes; base and queries come from separate streams (seed + 1, seed + 2) of one mixture.
 */
export async function writeSynthSet(spec: SynthSpec, basePath: string, queriesPath: string, onProgress?: (done: number, total: number) => void, format: 'memmap' | 'npy' = 'memmap'): Promise<void> {
  checkSpec(spec);
  const m = mixture(spec);
  await writeDraws(basePath, m, createRng((spec.seed + 1) >>> 0), spec.rows, onProgress, format === 'npy');
  await writeDraws(queriesPath, m, createRng((spec.seed + 2) >>> 0), spec.queries, undefined, format === 'npy');
}
