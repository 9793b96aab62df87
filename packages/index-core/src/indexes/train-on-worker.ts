import { getBackend } from '../backend/registry.js';
import { LibvqError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { OPQMatrix } from '../opq.js';
import { registerJob } from '../parallel/jobs.js';
import { runOnWorkers } from '../parallel/pool.js';
import { sharedArray, sharedOrCopy } from '../parallel/shared.js';
import type { VectorTransform } from '../transform.js';
import { indexCodec } from './index-codec.js';
import type { Index, TrainOptions } from './index.js';

// Asynchronous training: a copy of the index (its faiss bytes, plus the OPQ settings faiss files do not hold) is
// trained with trainSync on a worker thread, which returns the trained copy's bytes. trainSync there is the code
// that runs on the calling thread for trainSync, with the same seed and threads, so the parameters are the same
// bytes. Progress and abort cross through a small shared array the calling thread polls.

/** Stage names a report can carry across threads (the names progress.ts documents). */
const STAGES = ['opq', 'ivf', 'assign', 'pq', 'kmeans', 'transform', 'add'] as const;
/** progress[]: 0 report count, 1 done, 2 total, 3 stage index (-1: none), 4 abort requested. */
const SEQ = 0, DONE = 1, TOTAL = 2, STAGE = 3, ABORT = 4;
const POLL_MS = 50;

/** The OPQ settings of a chain's transforms (faiss writes an OPQ rotation as a bare linear map). */
interface OPQKnobs {
  M: number;
  niter: number;
  niterPq0: number;
  niterPq: number;
  maxTrainPoints: number;
}

interface TrainIndexJob {
  readonly op: 'train-index';
  readonly bytes: Uint8Array;
  readonly opq: (OPQKnobs | null)[];
  /** The IVF's coarse k-means iterations (not in faiss files either). */
  readonly kmeansIterations?: number;
  readonly backend: string;
  readonly x: Float32Array;
  readonly rows: number;
  readonly dim: number;
  readonly seed?: number;
  readonly threads: number;
  readonly progress: Int32Array;
}

/** The index under a pre-transform (duck-typed like chainOf), where an IVF keeps its k-means setting. */
function innerOf(index: Index): { kmeansIterations?: number } {
  return ((index as { index?: Index }).index ?? index) as { kmeansIterations?: number };
}

function chainOf(index: Index): VectorTransform[] {
  // Duck-typed: IndexPreTransform extends IndexBase, which imports this module.
  const chain = (index as { chain?: VectorTransform[] }).chain;
  return Array.isArray(chain) ? chain : [];
}

/** Trains a copy of `index` on a worker and returns the trained copy (adoptTrained takes its parameters). */
export async function trainOnWorker(index: Index, x: Matrix, opts: TrainOptions & { threads: number }): Promise<Index> {
  const codec = indexCodec();
  const progress = sharedArray(Int32Array, 5);
  progress[STAGE] = -1;
  const opq = chainOf(index).map((t) => (t instanceof OPQMatrix ? { M: t.M, niter: t.niter, niterPq0: t.niterPq0, niterPq: t.niterPq, maxTrainPoints: t.maxTrainPoints } : null));
  const job: TrainIndexJob = {
    op: 'train-index', bytes: codec.serialize(index.cloneEmpty()), opq, kmeansIterations: innerOf(index).kmeansIterations, backend: index.backend.name,
    x: sharedOrCopy(x.data), rows: x.rows, dim: x.dim, seed: opts.seed, threads: opts.threads, progress,
  };
  const onAbort = () => Atomics.store(progress, ABORT, 1);
  opts.signal?.addEventListener('abort', onAbort);
  if (opts.signal?.aborted) onAbort();
  let seen = 0;
  const poll = () => {
    const seq = Atomics.load(progress, SEQ);
    if (seq === seen || !opts.onProgress) return;
    seen = seq;
    const s = Atomics.load(progress, STAGE);
    opts.onProgress(Atomics.load(progress, DONE), Atomics.load(progress, TOTAL), s >= 0 ? STAGES[s] : undefined);
  };
  const timer = setInterval(poll, POLL_MS);
  try {
    const [bytes] = await runOnWorkers([job]);
    poll();
    return codec.deserialize(bytes as Uint8Array);
  } catch (err) {
    if (err instanceof LibvqError && err.code === 'ABORTED') throw new LibvqError('ABORTED', err.message, { cause: opts.signal?.reason });
    throw err;
  } finally {
    clearInterval(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** The worker's side: rebuild, train with trainSync, answer with the trained bytes. */
function runTrainIndex(j: TrainIndexJob): Uint8Array {
  const codec = indexCodec();
  const index = codec.deserialize(j.bytes);
  const chain = chainOf(index);
  j.opq.forEach((k, i) => {
    if (k === null) return;
    let t = chain[i] as OPQMatrix;
    if (t.M !== k.M) {
      const again = new OPQMatrix(t.dIn, k.M, t.dOut);
      again.A.set(t.A);
      again.isTrained = t.isTrained;
      chain[i] = t = again;
    }
    Object.assign(t, { niter: k.niter, niterPq0: k.niterPq0, niterPq: k.niterPq, maxTrainPoints: k.maxTrainPoints });
  });
  if (j.kmeansIterations !== undefined) innerOf(index).kmeansIterations = j.kmeansIterations;
  index.backend = getBackend(j.backend);
  index.threads = j.threads;
  const p = j.progress;
  const signal = { get aborted() { return Atomics.load(p, ABORT) === 1; }, reason: undefined } as unknown as AbortSignal;
  index.trainSync({ rows: j.rows, dim: j.dim, data: j.x }, {
    seed: j.seed,
    threads: j.threads,
    signal,
    onProgress: (done, total, stage) => {
      Atomics.store(p, DONE, done);
      Atomics.store(p, TOTAL, total);
      Atomics.store(p, STAGE, stage === undefined ? -1 : (STAGES as readonly string[]).indexOf(stage));
      Atomics.add(p, SEQ, 1);
    },
  });
  return codec.serialize(index);
}

registerJob<TrainIndexJob>('train-index', runTrainIndex);
