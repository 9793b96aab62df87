/// <reference path="./webassembly.d.ts" />
import { compiledKernel } from './bytes.js';
import { laneAssignModuleBytes } from './lane-assign-module.js';
import { smallAssignModuleBytes } from './small-assign-module.js';

/** Dimensions up to which assignment uses the direct-formula kernels (PQ sub-spaces are typically 2..16). */
export const SMALL_DIM_MAX = 16;
/**
 * Dimensions up to which the points-in-lanes kernel (lane-assign-module.ts) serves: its dim gathered coordinates
 * and six working vectors fit V8's 16 SIMD registers.
 */
export const LANE_DIM_MAX = 8;
const CHUNK = 4096;
const PAGE = 65536;

/** A kernel call over points at byte xPtr: m points (room for a multiple of 4 after them), results to lPtr / dPtr. */
type AssignCall = (xPtr: number, m: number, lPtr: number, dPtr: number) => void;

/**
 * Nearest-centroid search for small dimensions on a WebAssembly kernel: the centroids laid out once per call at the
 * start of the kernel's memory (cBytes, by `placeCentroids`), then the points copied in chunks of CHUNK after them,
 * each chunk's labels and squared distances copied out. One instance per dimension and thread; its memory grows to
 * the largest codebook asked for.
 */
abstract class ChunkedAssign {
  protected readonly memory = new WebAssembly.Memory({ initial: 1 });
  protected f32: Float32Array;
  protected i32: Int32Array;

  constructor(readonly dim: number) {
    this.f32 = new Float32Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }

  /** Bytes the centroids take in the kernel's layout (a multiple of 16). */
  protected abstract centroidBytes(k: number): number;
  /** Writes the k centroids (row-major) at the start of the kernel's memory; returns the call for a chunk. */
  protected abstract placeCentroids(c: Float32Array, k: number): AssignCall;

  run(x: Float32Array, n: number, c: Float32Array, k: number, labels: Int32Array, distances: Float32Array): void {
    const { dim } = this;
    const xPtr = this.centroidBytes(k);
    const lPtr = xPtr + CHUNK * dim * 4;
    const dPtr = lPtr + CHUNK * 4;
    const need = dPtr + CHUNK * 4;
    if (need > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / PAGE));
      this.f32 = new Float32Array(this.memory.buffer); // growing detaches the old views
      this.i32 = new Int32Array(this.memory.buffer);
    }
    const call = this.placeCentroids(c, k);
    const { f32, i32 } = this;
    for (let s = 0; s < n; s += CHUNK) {
      const m = Math.min(CHUNK, n - s);
      f32.set(x.subarray(s * dim, (s + m) * dim), xPtr >> 2);
      call(xPtr, m, lPtr, dPtr);
      labels.set(i32.subarray(lPtr >> 2, (lPtr >> 2) + m), s);
      distances.set(f32.subarray(dPtr >> 2, (dPtr >> 2) + m), s);
    }
  }
}

/**
 * On the centroids-in-lanes kernel of small-assign-module.ts: centroids transposed into blocks of 4. Replaced a
 * generated-JS kernel (float64, one centroid at a time) that made PQ training 3.5× faiss's time on GloVe (PQ20x8,
 * dsub 5); serves the dimensions above LANE_DIM_MAX.
 */
class SmallAssign extends ChunkedAssign {
  private readonly fn: (x: number, n: number, cT: number, kBlocks: number, labels: number, dists: number) => void;

  constructor(dim: number) {
    super(dim);
    const instance = new WebAssembly.Instance(compiledKernel(`small-assign:${dim}`, () => smallAssignModuleBytes(dim)), { env: { memory: this.memory } });
    this.fn = instance.exports.assign as SmallAssign['fn'];
  }

  protected centroidBytes(k: number): number {
    return Math.ceil(k / 4) * this.dim * 16;
  }

  protected placeCentroids(c: Float32Array, k: number): AssignCall {
    const { dim, f32 } = this;
    const kBlocks = Math.ceil(k / 4);
    for (let b = 0; b < kBlocks; b++) {
      for (let t = 0; t < dim; t++) {
        for (let lane = 0; lane < 4; lane++) {
          const j = 4 * b + lane;
          f32[(b * dim + t) * 4 + lane] = j < k ? c[j * dim + t] : Infinity;
        }
      }
    }
    return (xPtr, m, lPtr, dPtr) => this.fn(xPtr, m, 0, kBlocks, lPtr, dPtr);
  }
}

/**
 * On the points-in-lanes kernel of lane-assign-module.ts: centroids as they are, each chunk padded with zero rows to
 * a multiple of 4 points (their results are not copied out).
 * Against the centroids-in-lanes kernel (SmallAssign), same results: 340,479 random points, 16 centroids, dsub 2 /
 * 5 / 8: 3.6 → 2.5, 4.5 → 3.6, 7.3 → 5.7 ms; 256 centroids, dsub 5: 63 → 59 ms. On GloVe's real sub-vectors the old
 * kernel's per-point reduction of 4 lanes branched unpredictably: a js add (340,479 vectors, IVF1024) took
 * 2.02–2.15 → 1.77–1.92 s for PQ20x4fs and 2.37–2.54 → 2.10–2.19 s for PQ50x4fsr.
 */
class LaneAssign extends ChunkedAssign {
  private readonly fn: (x: number, groups: number, c: number, k: number, labels: number, dists: number) => void;

  constructor(dim: number) {
    super(dim);
    const instance = new WebAssembly.Instance(compiledKernel(`lane-assign:${dim}`, () => laneAssignModuleBytes(dim)), { env: { memory: this.memory } });
    this.fn = instance.exports.assign as LaneAssign['fn'];
  }

  protected centroidBytes(k: number): number {
    return Math.ceil((k * this.dim * 4) / 16) * 16;
  }

  protected placeCentroids(c: Float32Array, k: number): AssignCall {
    const { dim } = this;
    this.f32.set(c.subarray(0, k * dim), 0);
    return (xPtr, m, lPtr, dPtr) => {
      const m4 = Math.ceil(m / 4) * 4;
      if (m4 !== m) this.f32.fill(0, (xPtr >> 2) + m * dim, (xPtr >> 2) + m4 * dim);
      this.fn(xPtr, m4 / 4, 0, k, lPtr, dPtr);
    };
  }
}

const kernels = new Map<number, ChunkedAssign>();

/** Nearest of k centroids (row-major, dim columns) for each of n points: labels and squared distances. */
export function smallAssign(x: Float32Array, n: number, c: Float32Array, k: number, labels: Int32Array, distances: Float32Array, dim: number): void {
  let kern = kernels.get(dim);
  if (!kern) {
    kern = dim <= LANE_DIM_MAX ? new LaneAssign(dim) : new SmallAssign(dim);
    kernels.set(dim, kern);
  }
  kern.run(x, n, c, k, labels, distances);
}
