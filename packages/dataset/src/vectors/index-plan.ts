import { LibvqError, checkTrainingSize, defaultTrainingSize, indexFactory, type Index } from '@libvq/index-core';
import type { MetricOrCosine } from '@libvq/index-core/util';
import type { VectorSource } from './vector-source.js';

/** How an index is built from a vector file: `libvq build`'s options, shared by the one-process and the cluster build. */
export interface IndexBuildSpec {
  /** faiss factory string, e.g. "OPQ20,IVF1024,PQ20x8". */
  readonly factory: string;
  readonly metric: MetricOrCosine;
  /** Seed of the training sample and of every training stage (same seed, same index bytes). */
  readonly seed: number;
  /** Vectors in the seeded training sample (default: faiss's rule, defaultTrainingSize, capped at the file). */
  readonly trainSize?: number;
  /** OPQ: faiss's niter and max_train_points (default 50 and 65,536). */
  readonly opq?: { readonly niter?: number; readonly maxTrainPoints?: number };
  /** Kernel backend name (default 'js'). */
  readonly backend?: string;
  /** Threads of training and encoding; the bytes do not depend on it. */
  readonly threads?: number;
}

/**
 * The untrained index `spec` describes for `src`, and the size of its training sample — checked before anything is
 * read, so an empty file, a bad factory, or a sample too small for a stage fails now rather than after the stages
 * before it.
 */
export function planIndexBuild(src: Pick<VectorSource, 'path' | 'rows' | 'dim'>, spec: IndexBuildSpec): { index: Index; trainSize: number } {
  if (src.rows === 0) throw new LibvqError('INSUFFICIENT_DATA', `VECTORS ${src.path}: the file holds no vectors; nothing to train on or index`);
  if (spec.trainSize !== undefined && spec.trainSize > src.rows) {
    throw new LibvqError('INVALID_ARGUMENT', `--train-size: ${spec.trainSize} exceeds the ${src.rows} vectors in ${src.path}`);
  }
  const opq = spec.opq && (spec.opq.niter !== undefined || spec.opq.maxTrainPoints !== undefined) ? { opq: { ...spec.opq } } : {};
  const index = indexFactory(src.dim, spec.factory, spec.metric, spec.backend, opq);
  index.threads = spec.threads ?? 1;
  const trainSize = Math.min(src.rows, spec.trainSize ?? defaultTrainingSize(index));
  checkTrainingSize(index, trainSize);
  return { index, trainSize };
}
