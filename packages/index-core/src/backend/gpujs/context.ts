import { createRequire } from 'node:module';
import type { GPU, IGPUKernelSettings, IKernelRunShortcut } from 'gpu.js';
import { LibvqError, invalidArgument } from '../../errors.js';

/**
 * Where gpu.js runs the kernels: 'gpu' is WebGL through the native `gl` module (headless-gl), 'webasm'
 * gpu.js's WebAssembly backend, 'cpu' its JavaScript backend (the kernels compiled to plain loops).
 */
export type GpujsMode = 'gpu' | 'webasm' | 'cpu';
export type GpujsModeOption = 'auto' | GpujsMode;

const MODES: readonly GpujsModeOption[] = ['auto', 'gpu', 'webasm', 'cpu'];
/** gpu.js's own name for each mode (its 'gpu' would silently fall through to webasm without a GL context). */
const GPUJS_MODE: Record<GpujsMode, string> = { gpu: 'headlessgl', webasm: 'webasm', cpu: 'cpu' };
const GPUJS_VERSION = '2.24.1';

type GpujsModule = typeof import('gpu.js');
let gpujs: GpujsModule | undefined;

/**
 * gpu.js is an optional peer dependency, required on first use only: importing index-core never loads it
 * (nor its WebGPU / WebGL bindings). createRequire works from both the ESM and the CJS build.
 */
function loadGpujs(): GpujsModule {
  if (gpujs) return gpujs;
  try {
    gpujs = createRequire(import.meta.url)('gpu.js') as GpujsModule;
  } catch (e) {
    throw new LibvqError(
      'UNSUPPORTED',
      `backend 'gpujs' needs the npm package gpu.js, an optional peer dependency of @libvq/index-core: npm install gpu.js@${GPUJS_VERSION}`,
      { cause: e },
    );
  }
  return gpujs;
}

/** 'auto' → 'gpu' when headless-gl opens a context (the native gl module is built and a display exists), else 'cpu'. */
export function resolveMode(option: GpujsModeOption): GpujsMode {
  if (!MODES.includes(option)) throw invalidArgument('gpujs mode', MODES.map((m) => `'${m}'`).join(', '), option);
  const { GPU: G } = loadGpujs();
  const gl = G.isHeadlessGLSupported;
  if (option === 'auto') return gl ? 'gpu' : 'cpu';
  if (option === 'gpu' && !gl) {
    throw new LibvqError(
      'UNSUPPORTED',
      "gpujs mode 'gpu' needs headless-gl: the native `gl` module built from source and a display (xvfb-run); see the index-core README, section 'gpujs backend'",
    );
  }
  if (option === 'webasm' && !G.isWebAssemblySupported) throw new LibvqError('UNSUPPORTED', "gpujs mode 'webasm': this runtime has no WebAssembly");
  return option;
}

/** A compiled gpu.js kernel: called with typed arrays, returns one row (1-D output) or rows (2-D output). */
type Kernel = IKernelRunShortcut;
type KernelArg = Float32Array | Uint8Array;

/** Settings every kernel shares: sizes change per call without a recompile, results read back as float32. */
const COMMON: IGPUKernelSettings = {
  dynamicOutput: true,
  dynamicArguments: true,
  precision: 'single',
  tactic: 'precision',
  pipeline: false,
};

/**
 * One gpu.js instance and its kernels. A kernel is compiled once per (kind, constants) key and reused for
 * every later call of that shape (gpu.js compilation costs milliseconds to seconds); output and argument
 * sizes are dynamic, so batch sizes do not trigger compiles.
 */
export class GpujsContext {
  readonly mode: GpujsMode;
  /** Cells one kernel call may output (bounds its memory; larger work is split into calls). */
  readonly maxOutput: number;
  private gpu: GPU | null = null;
  private readonly kernels = new Map<string, Kernel>();

  constructor(mode: GpujsMode, maxOutput: number) {
    this.mode = mode;
    this.maxOutput = maxOutput;
  }

  /** The kernel for `key`, compiled from `source` (a function's text) on first use. */
  kernel(key: string, source: string, constants: Record<string, number>): Kernel {
    let k = this.kernels.get(key);
    if (k) return k;
    if (!this.gpu) this.gpu = new (loadGpujs().GPU)({ mode: GPUJS_MODE[this.mode] as 'gpu' });
    const constantTypes: Record<string, 'Integer'> = {};
    for (const name of Object.keys(constants)) constantTypes[name] = 'Integer';
    // Kernels are source text, not functions: gpu.js parses the text, so no transpiler may rewrite it.
    k = this.gpu.createKernel(source, { ...COMMON, output: [1], constants, constantTypes });
    this.kernels.set(key, k);
    return k;
  }

  /** Runs `k` with a 1-D output of `cells` threads; the result as one Float32Array. */
  run1D(k: Kernel, cells: number, ...args: KernelArg[]): Float32Array {
    k.setOutput([cells]);
    const out: unknown = k(...args);
    if (!(out instanceof Float32Array)) throw new LibvqError('UNSUPPORTED', `gpujs (${this.mode}): a 1-D kernel returned ${Object.prototype.toString.call(out)}, not a Float32Array`);
    return out;
  }

  /** Runs `k` with a width × height output (thread.x < width, thread.y < height); the result's rows. */
  run2D(k: Kernel, width: number, height: number, ...args: KernelArg[]): Float32Array[] {
    k.setOutput([width, height]);
    return asRows(k(...args) as Float32Array | Float32Array[], width, height);
  }

  /** Frees every kernel and the GL context; the next call compiles again. */
  async dispose(): Promise<void> {
    const gpu = this.gpu;
    this.gpu = null;
    this.kernels.clear();
    if (gpu) await gpu.destroy();
  }
}

/** A 2-D kernel result as its rows (gpu.js returns one array per output row; a packed result is split, not copied). */
function asRows(result: Float32Array | Float32Array[], width: number, height: number): Float32Array[] {
  if (!(result instanceof Float32Array)) return result;
  const rows: Float32Array[] = [];
  for (let r = 0; r < height; r++) rows.push(result.subarray(r * width, (r + 1) * width));
  return rows;
}
