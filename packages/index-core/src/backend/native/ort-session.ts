import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { LibvqError } from '../../errors.js';

/**
 * The one module of index-core that touches onnxruntime-node: a synchronous session over its native binding.
 *
 * Why the binding and not `InferenceSession`: Backend kernels are synchronous (k-means, list assignment and
 * search call them in loops), and onnxruntime-node's public `run` is a Promise around a synchronous native call
 * (`setImmediate(() => resolve(binding.run(...)))`). Calling the same native `run` directly costs 16 µs per call
 * instead of a worker round trip. The shape of the binding is checked on load, so a version of onnxruntime-node
 * that changed it gets a clear error rather than a crash.
 */
export const ONNXRUNTIME_NODE_VERSION = '1.23.2';

export type OrtTensorType = 'float32' | 'int64';
type OrtTensorData = Float32Array | BigInt64Array;
interface OrtTensor {
  readonly data: OrtTensorData;
}
type OrtTensorCtor = new (type: OrtTensorType, data: OrtTensorData, dims: readonly number[]) => OrtTensor;
interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, OrtTensor | null>, options: object): Record<string, { data: OrtTensorData }>;
  dispose?(): void;
}
interface Runtime {
  Session: new () => NativeSession;
  Tensor: OrtTensorCtor;
}

let runtime: Runtime | undefined;

function loadRuntime(): Runtime {
  if (runtime) return runtime;
  const req = createRequire(import.meta.url);
  let root: string;
  try {
    root = dirname(req.resolve('onnxruntime-node/package.json'));
  } catch (e) {
    throw new LibvqError(
      'UNSUPPORTED',
      `backend 'native' needs the npm package onnxruntime-node, an optional peer dependency of @libvq/index-core: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@${ONNXRUNTIME_NODE_VERSION}`,
      { cause: e },
    );
  }
  let loaded: { binding?: { InferenceSession?: unknown }; initOrt?: unknown };
  let common: { Tensor?: unknown };
  try {
    loaded = req(join(root, 'dist', 'binding.js')) as typeof loaded;
    common = createRequire(join(root, 'package.json'))('onnxruntime-common') as typeof common;
  } catch (e) {
    const message = (e as Error).message;
    // onnxruntime-node's binding registers itself once per process: when a worker thread loaded it first, every other
    // thread then gets Node's "Module did not self-register"; once the main thread has loaded it, every worker can.
    if (!isMainThread && /did not self-register/.test(message)) {
      throw new LibvqError(
        'UNSUPPORTED',
        `backend 'native' in a worker thread: onnxruntime-node's binding was loaded by another worker first, and it loads in one worker only unless the main thread loads it before them (${message}); call getBackend('native') on the main thread before starting worker threads that use it`,
        { cause: e },
      );
    }
    throw new LibvqError('UNSUPPORTED', `backend 'native': onnxruntime-node at ${root} did not load (${message}); reinstall onnxruntime-node@${ONNXRUNTIME_NODE_VERSION}`, { cause: e });
  }
  const Session = loaded.binding?.InferenceSession as Runtime['Session'] | undefined;
  if (typeof Session !== 'function' || typeof Session.prototype.run !== 'function' || typeof Session.prototype.loadModel !== 'function' || typeof loaded.initOrt !== 'function' || typeof common.Tensor !== 'function') {
    throw new LibvqError('UNSUPPORTED', `backend 'native': the onnxruntime-node at ${root} has no synchronous InferenceSession binding of the shape ${ONNXRUNTIME_NODE_VERSION} has; install onnxruntime-node@${ONNXRUNTIME_NODE_VERSION}`);
  }
  (loaded.initOrt as () => void)();
  runtime = { Session, Tensor: common.Tensor as OrtTensorCtor };
  return runtime;
}

/** A tensor view of `data` (no copy): inputs, and outputs onnxruntime writes in place. */
export interface TensorSpec {
  type: OrtTensorType;
  data: OrtTensorData;
  dims: readonly number[];
}

/**
 * One loaded ONNX graph, run synchronously on onnxruntime's CPU kernels (MLAS): single-threaded by default (the
 * thread layer runs one session per worker); `threads` > 1 gives onnxruntime's own pool of that many threads,
 * which k-means uses instead of worker threads (backend/native/index.ts assignOnThreads). MLAS splits a GEMM's
 * output rows and columns between its threads, never an inner product, so the results are the same bytes for any
 * count (the conformance suite checks it).
 */
export class OrtSession {
  private readonly session: NativeSession;
  private readonly rt: Runtime;

  constructor(model: Uint8Array, threads = 1) {
    this.rt = loadRuntime();
    this.session = new this.rt.Session();
    this.session.loadModel(model.buffer, model.byteOffset, model.byteLength, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // Idle pool threads sleep rather than spin: between k-means iterations the caller's own work runs.
      ...(threads > 1 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
    });
  }

  /** Frees the session's native memory (its arena, its pool's threads) now rather than when it is collected. */
  dispose(): void {
    this.session.dispose?.();
  }

  /** Runs the graph: inputs are read in place, outputs written into the given arrays (preallocated fetches). */
  run(inputs: Record<string, TensorSpec>, outputs: Record<string, TensorSpec>): void {
    const T = this.rt.Tensor;
    const feeds: Record<string, OrtTensor> = {};
    for (const [name, t] of Object.entries(inputs)) feeds[name] = new T(t.type, t.data, t.dims);
    const fetches: Record<string, OrtTensor> = {};
    for (const [name, t] of Object.entries(outputs)) fetches[name] = new T(t.type, t.data, t.dims);
    this.session.run(feeds, fetches, {});
  }
}
