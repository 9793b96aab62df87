import type { Matrix, Metric } from '@libvq/index-core';

/** Parameter storage: float32 in indexes and checkpoints; float64 where a master copy must not drift. */
export type Floats = Float32Array | Float64Array;

/** The OPQ transform y = A x, A dOut x dIn row-major (faiss's LinearTransform layout). */
export interface RotationParam {
  readonly dOut: number;
  readonly dIn: number;
  readonly data: Floats;
}

/** IVF centroids, nlist x dim row-major, living in the rotated space (dim = dOut) as faiss's OPQ,IVF,PQ does. */
export interface CentroidsParam {
  readonly nlist: number;
  readonly dim: number;
  readonly data: Floats;
}

/** PQ codebooks laid out M x ksub x dsub like faiss's ProductQuantizer.centroids. */
export interface CodebooksParam {
  readonly M: number;
  readonly ksub: number;
  readonly dsub: number;
  readonly data: Floats;
}

/**
 * The trainable state of a learnable index, as the math sees it. Which parts exist follows the method:
 * `ivf` centroids only; `ivf_pq` centroids + codebooks; `ivf_opq` all three; `pq` codebooks; `opq` rotation + codebooks.
 */
export interface QuantParams {
  readonly metric: Metric;
  readonly rotation?: RotationParam;
  readonly centroids?: CentroidsParam;
  readonly codebooks?: CodebooksParam;
}

/**
 * One training batch: B queries scored against N documents. LibVQ's layout is N = B + B*n with the B positives
 * first (query i's positive in column i) then the B*n hard negatives; every query is scored against every document
 * of the batch (in-batch negatives). `positives` generalises this (e.g. distillation over a whole small corpus).
 */
export interface TrainBatch {
  /** Current query embeddings, B x dIn (what the query encoder produced, or stored embeddings). */
  readonly queries: Matrix;
  /** Current document embeddings, N x dIn. May be omitted only when codes are fixed and no dense score is needed. */
  readonly docs?: Matrix;
  /** Column of each query's positive document; default query i -> column i. Required by `contras`. */
  readonly positives?: Int32Array;
  /** Original (teacher) embeddings for `distill`: B x dT and N x dT. */
  readonly teacherQueries?: Matrix;
  readonly teacherDocs?: Matrix;
  /** IVF list of each document (N), required when the index has centroids. */
  readonly docLists?: Int32Array;
  /** Fixed PQ codes, N x M (JPQ-style). Absent: each code is the nearest codeword of the current residual. */
  readonly docCodes?: Uint8Array;
}

export type LossMethod = 'contras' | 'distill';

export interface BatchOptions {
  readonly loss: LossMethod;
  /** Score temperature tau: every score (teacher included) is divided by it. Default 1 (LibVQ). */
  readonly temperature?: number;
  /** Temperature of the soft codeword assignment softmax(-||r - c||^2 / T). Default 1 (LibVQ). */
  readonly assignTemperature?: number;
  /** Student scores to compute; default: every kind the parameters allow. */
  readonly scores?: { readonly dense?: boolean; readonly ivf?: boolean; readonly pq?: boolean };
  /** Threads of the score kernels, forward and backward (the calling thread plus index threads; the same bytes for any value). Default 1. */
  readonly threads?: number;
}

/** Loss weights: total = dense*L_dense + pq*L_pq + ivf*L_ivf. */
export interface LossWeights {
  readonly dense: number;
  readonly pq: number;
  readonly ivf: number;
}

/** Which gradients to compute (skipping the others saves the work). */
export interface GradNeeds {
  readonly queries?: boolean;
  readonly docs?: boolean;
  readonly centroids?: boolean;
  readonly codebooks?: boolean;
  readonly rotation?: boolean;
}

/** Gradients of the weighted total loss, float64. Absent when not asked for or not applicable. */
export interface BatchGrads {
  /** B x dIn */
  queries?: Float64Array;
  /** N x dIn (one row per batch document; the caller sums duplicate documents into its table). */
  docs?: Float64Array;
  /** nlist x dim, dense; only rows in `touchedLists` can be non-zero. */
  centroids?: Float64Array;
  /** Sorted distinct lists of the batch's documents. */
  touchedLists?: Int32Array;
  /** M x ksub x dsub */
  codebooks?: Float64Array;
  /** dOut x dIn */
  rotation?: Float64Array;
}
