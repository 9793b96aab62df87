import { InvalidArgumentError } from 'commander';
import { LibvqError, type Index, type Matrix } from '@libvq/index-core';
import type { MetricOrCosine } from '@libvq/index-core/util';
import { openVectors, readVectors, vectorFormat, type VectorSource, type VectorsFile } from '@libvq/dataset';
import { parseTemperature } from '@libvq/train';

/**
 * What the commands share: option parsers, reading a VECTORS argument (build, search, eval), and searching a
 * query matrix in batches so a progress bar can follow a synchronous search.
 */

export const VECTORS_FORMATS =
  '.npy (2-D float32/float64), .fvecs, .arrow/.arrows/.feather/.ipc (an Arrow IPC file or stream; its FixedSizeList<Float32> column "embedding", else "vector", else the only one) or .memmap (with --dim)';

/** Commander parser for an integer option in [min, max]. */
export function intOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`${name} must be an integer ${range}, got "${v}"`);
    }
    return n;
  };
}

/** Commander parser for a finite number > 0 (rates, temperatures). */
export function positiveNumberOption(name: string) {
  return (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !(x > 0 && Number.isFinite(x))) throw new InvalidArgumentError(`${name} must be a number > 0, got "${v}"`);
    return x;
  };
}

/** Commander parser for a temperature: a number > 0, or 'auto' (fitted to the teacher's score spread). */
export function temperatureOption(name: string) {
  return (v: string): number | 'auto' => {
    try {
      return parseTemperature(v, name);
    } catch {
      throw new InvalidArgumentError(`${name} must be a number > 0 or 'auto', got "${v}"`);
    }
  };
}

/** Commander parser for a comma-separated list of integers >= min (returned as numbers). */
export function intListOption(name: string, min: number) {
  return (v: string): number[] => {
    const list = v.split(',').map((s) => s.trim());
    if (list.some((s) => s === '' || !Number.isInteger(Number(s)) || Number(s) < min)) {
      throw new InvalidArgumentError(`${name} must be comma-separated integers >= ${min}, got "${v}"`);
    }
    return list.map(Number);
  };
}

/** Commander parser for one of a fixed set of words (the checked value, typed). */
export function choiceOption<T extends string>(name: string, allowed: readonly T[]) {
  return (v: string): T => {
    if (!(allowed as readonly string[]).includes(v)) throw new InvalidArgumentError(`${name}: expected one of ${allowed.join(', ')}, got "${v}"`);
    return v as T;
  };
}

export const METRIC_HELP = 'ip (inner product), l2 (squared Euclidean) or cosine (an L2norm transform before an ip index, as faiss does it)';

export function metricOption(v: string): MetricOrCosine {
  if (v !== 'ip' && v !== 'l2' && v !== 'cosine') throw new InvalidArgumentError(`--metric must be "ip" (inner product), "l2" (squared Euclidean) or "cosine", got "${v}"`);
  return v;
}

/**
 * What an index ranks by, in the CLI's words: 'cosine' for an inner-product index whose first transform is an L2
 * normalisation (indexFactory(d, desc, 'cosine'), or faiss's "L2norm,..."), else its metric.
 */
export function similarityOf(index: Index): MetricOrCosine {
  return index.metric === 'ip' && index.parameters().transforms[0]?.kind === 'l2norm' ? 'cosine' : index.metric;
}

export interface VectorsArgOptions {
  /** Needed for .memmap files; checked against the file elsewhere. */
  dim?: number;
  column?: string;
}

/**
 * Reads a VECTORS argument through @libvq/dataset's readVectors (every format, Arrow files and streams alike).
 * Errors name the option (`flag`) as well as the file, since the library's messages only know the path.
 */
export async function readVectorsArg(path: string, flag: string, opts: VectorsArgOptions = {}): Promise<VectorsFile> {
  return withFlag(path, flag, opts, () => readVectors(path, opts));
}

/** The same checks as readVectorsArg, for reading the file a batch at a time (libvq build). */
export async function openVectorsArg(path: string, flag: string, opts: VectorsArgOptions = {}): Promise<VectorSource> {
  return withFlag(path, flag, opts, () => openVectors(path, opts));
}

/** Errors of opening a vector file, prefixed with the flag or argument that named it. */
async function withFlag<T>(path: string, flag: string, opts: VectorsArgOptions, open: () => Promise<T>): Promise<T> {
  if (vectorFormat(path) === 'memmap' && opts.dim === undefined) {
    throw new LibvqError('INVALID_ARGUMENT', `${flag} ${path}: a .memmap file has no header; give its dimension with --dim`);
  }
  try {
    return await open();
  } catch (e) {
    if (e instanceof LibvqError && !e.message.startsWith(flag)) throw new LibvqError(e.code, `${flag}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** nlist and the default nprobe of an index with inverted lists (under any transforms), else undefined. */
export function ivfOf(index: Index): { nlist: number; nprobe: number } | undefined {
  const nlist = index.parameters().centroids?.rows;
  return nlist === undefined ? undefined : { nlist, nprobe: index.nprobe ?? 1 };
}

export function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
