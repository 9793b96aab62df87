import { invalidArgument } from '../../errors.js';
import { jsBackend } from '../js/index.js';
import type { Backend } from '../types.js';
import { gpuAdcScan } from './adc-scan.js';
import { gpuAssign } from './assign.js';
import { type GpujsMode, type GpujsModeOption, GpujsContext, resolveMode } from './context.js';
import { gpuDistances } from './distances.js';
import { gpuIvfAdcScan } from './ivf-adc-scan.js';
import { gpuIvfFlatScan } from './ivf-flat-scan.js';
import { gpuKnn } from './knn.js';
import { DEFAULT_MAX_OUTPUT, DEFAULT_MIN_WORK } from './limits.js';
import { gpuPqTables } from './pq-tables.js';
import { probedRows } from './scan-batches.js';

export type { GpujsMode, GpujsModeOption } from './context.js';

export interface GpujsBackendOptions {
  /**
   * Where the kernels run: 'auto' (default) is 'gpu' when headless-gl opens a WebGL context (the native
   * `gl` module is built and a display exists), otherwise 'cpu'. 'webasm' and 'cpu' are gpu.js's
   * WebAssembly and JavaScript backends; asking for 'gpu' where it cannot run is an error, not a fallback.
   */
  mode?: GpujsModeOption;
  /**
   * Kernel calls with less work than this (multiply-adds or table look-ups) run on the js backend instead;
   * 0 sends every call through gpu.js. Default 2^22.
   */
  minWork?: number;
  /**
   * Most cells (float32 scores) one kernel call outputs, default 2^22 (16 MiB): bigger work is split into
   * several calls (tiles of queries × vectors, batches of probed lists). Bounds the memory of one call.
   */
  maxOutput?: number;
}

/** The gpujs backend: Backend's kernels on gpu.js, plus the mode it chose and a way to free its resources. */
export interface GpujsBackend extends Backend {
  readonly name: 'gpujs';
  readonly mode: GpujsMode;
  readonly minWork: number;
  /** Frees the compiled kernels and the GL context; a later call compiles again. */
  dispose(): Promise<void>;
}

/**
 * A backend whose dense math runs in gpu.js kernels (distances and dot products, assignment scores, PQ
 * tables, ADC table sums); top-k selection runs on the same js heaps as the js backend. Loads gpu.js (an
 * optional peer dependency) when called. `getBackend('gpujs')` makes one with the default options.
 */
export function createGpujsBackend(opts: GpujsBackendOptions = {}): GpujsBackend {
  const minWork = opts.minWork ?? DEFAULT_MIN_WORK;
  if (!(minWork >= 0)) throw invalidArgument('minWork', 'a number ≥ 0', minWork);
  const maxOutput = opts.maxOutput ?? DEFAULT_MAX_OUTPUT;
  if (!Number.isInteger(maxOutput) || maxOutput < 1) throw invalidArgument('maxOutput', 'a positive integer', maxOutput);
  const mode = resolveMode(opts.mode ?? 'auto');
  const ctx = new GpujsContext(mode, maxOutput);
  const small = (work: number): boolean => work < minWork;
  return {
    name: 'gpujs',
    mode,
    minWork,
    dispose: () => ctx.dispose(),
    distances: (x, y, metric) => (small(x.rows * y.rows * x.dim) ? jsBackend.distances(x, y, metric) : gpuDistances(ctx, x, y, metric)),
    knn: (x, y, k, metric) => (small(x.rows * y.rows * x.dim) ? jsBackend.knn(x, y, k, metric) : gpuKnn(ctx, x, y, k, metric)),
    assign: (x, c, metric = 'l2') => (small(x.rows * c.rows * x.dim) ? jsBackend.assign(x, c, metric) : gpuAssign(ctx, x, c, metric)),
    pqTables: (q, codebooks, M, ksub, metric, out) => {
      if (small(q.rows * ksub * q.dim)) return jsBackend.pqTables(q, codebooks, M, ksub, metric, out);
      const t = gpuPqTables(ctx, q, codebooks, M, ksub, metric);
      if (!out) return t;
      out.set(t);
      return out.subarray(0, t.length);
    },
    adcScan: (tables, codes, n, M, ksub, k, metric) =>
      small((tables.length / ksub) * n)
        ? jsBackend.adcScan(tables, codes, n, M, ksub, k, metric)
        : gpuAdcScan(ctx, tables, codes, n, M, ksub, k, metric),
    ivfAdcScan: (tables, lists, probes, M, ksub, k, metric, listTables, into) => {
      if (small(probedRows(lists, probes, tables.length / (M * ksub)) * M)) return jsBackend.ivfAdcScan(tables, lists, probes, M, ksub, k, metric, listTables, into);
      const r = gpuIvfAdcScan(ctx, tables, lists, probes, M, ksub, k, metric, listTables);
      if (!into) return r;
      into.distances.set(r.distances);
      into.labels.set(r.labels);
      return { distances: into.distances.subarray(0, r.distances.length), labels: into.labels.subarray(0, r.labels.length) };
    },
    // Fast-scan is byte shuffles and 16-bit integer adds, which gpu.js (float32 kernels over arrays) cannot
    // express: it runs on the js backend's WebAssembly SIMD kernel, the fastest path on any machine.
    pq4Scan: (luts, lists, probes, M2, k, metric, into) => jsBackend.pq4Scan(luts, lists, probes, M2, k, metric, into),
    pq4Luts: (tables, nq, M, M2, bias, nprobe, perProbe, into) => jsBackend.pq4Luts(tables, nq, M, M2, bias, nprobe, perProbe, into),
    ivfFlatScan: (q, lists, probes, k, metric) =>
      small(probedRows(lists, probes, q.rows) * q.dim) ? jsBackend.ivfFlatScan(q, lists, probes, k, metric) : gpuIvfFlatScan(ctx, q, lists, probes, k, metric),
  };
}
