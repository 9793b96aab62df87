import type { Metric } from '@libvq/index-core';

/** What every system of an ANN benchmark run is given: the same files, factory and nprobe sweep. */
export interface SystemSpec {
  /** Headerless float32 row-major files (LibVQ's .memmap layout; numpy.fromfile reads them). */
  basePath: string;
  queriesPath: string;
  dim: number;
  metric: Metric;
  factory: string;
  nprobes: number[];
  k: number;
  threads: number;
  seed: number;
  /** OPQ training budget given to both libvq-ts and faiss (their defaults: 50 iterations, 65,536 points). */
  opq?: { niter?: number; maxTrainPoints?: number };
}

/**
 * One system's figures for one factory. Times are seconds of wall clock. Training is split where the
 * system lets us time its pieces (libvq-ts and faiss): OPQ rotation, coarse k-means, PQ codebooks; the
 * pieces add up to trainS. Memory: the child process's resident set once the vectors are loaded, and its
 * high-water mark at the end (after train, add and every search).
 */
export interface SystemRun {
  /** 'libvq-ts' | 'faiss' | 'LanceDB' */
  system: string;
  /** The row label: system plus backend / thread count where they vary. */
  label: string;
  version: string;
  threads: number;
  backend?: string;
  /** faiss: the BLAS library its process mapped. */
  blas?: string;
  trainS: number;
  phases?: { opqS: number; kmeansS: number; pqS: number };
  addS: number;
  /** libvq-ts and faiss: the serialized index (faiss's format for both); LanceDB: its index files. */
  indexBytes: number;
  /** Resident set right after loading the base and the queries (current, not the high-water mark). */
  rssAfterLoadBytes: number;
  /** Resident-set high-water mark of the whole run. */
  peakRssBytes: number;
  /** seconds: one pass over all the queries (libvq-ts, faiss: the median of `reps` timed passes after an untimed one). */
  runs: { nprobe: number; seconds: number; reps?: number; labels: Int32Array }[];
}

/** libvq-ts's spec: the kernel backend its index uses ('js', or another registered backend such as 'gpujs'). */
export interface OursSpec extends SystemSpec {
  backend: string;
}

/** What the libvq-ts child reports (the parent adds the names). */
export type OursResult = Omit<SystemRun, 'system' | 'label' | 'version'>;
