/// <reference path="./webassembly.d.ts" />
import { compiledKernel, perShape } from './bytes.js';
import { smallAssignModuleBytes } from './small-assign-module.js';

/** Dimensions up to which assignment uses the direct-formula kernel (PQ sub-spaces are typically 2..16). */
export const SMALL_DIM_MAX = 16;
const CHUNK = 4096;
const PAGE = 65536;

/**
 * Nearest-centroid search for small dimensions on the WebAssembly kernel of small-assign-module.ts (4 points per
 * SIMD vector): the centroids copied in as they are once per call, then the points in chunks of CHUNK, each chunk
 * padded with zero rows to a multiple of 4 (their results are not copied out). Replaces a generated-JS kernel
 * (float64, one centroid at a time) that made PQ training 3.5× faiss's time on GloVe (PQ20x8, dsub 5).
 * One instance per dimension and thread; its memory grows to the largest codebook asked for.
 */
class SmallAssign {
  private readonly memory = new WebAssembly.Memory({ initial: 1 });
  private readonly fn: (x: number, groups: number, c: number, k: number, labels: number, dists: number) => void;
  private f32: Float32Array;
  private i32: Int32Array;

  constructor(readonly dim: number) {
    const instance = new WebAssembly.Instance(compiledKernel(`small-assign:${dim}`, () => smallAssignModuleBytes(dim)), { env: { memory: this.memory } });
    this.fn = instance.exports.assign as SmallAssign['fn'];
    this.f32 = new Float32Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }

  run(x: Float32Array, n: number, c: Float32Array, k: number, labels: Int32Array, distances: Float32Array): void {
    const { dim } = this;
    const xPtr = Math.ceil((k * dim * 4) / 16) * 16;
    const lPtr = xPtr + CHUNK * dim * 4;
    const dPtr = lPtr + CHUNK * 4;
    const need = dPtr + CHUNK * 4;
    if (need > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / PAGE));
      this.f32 = new Float32Array(this.memory.buffer); // growing detaches the old views
      this.i32 = new Int32Array(this.memory.buffer);
    }
    const { f32, i32 } = this;
    f32.set(c.subarray(0, k * dim), 0);
    for (let s = 0; s < n; s += CHUNK) {
      const m = Math.min(CHUNK, n - s);
      const m4 = Math.ceil(m / 4) * 4;
      f32.set(x.subarray(s * dim, (s + m) * dim), xPtr >> 2);
      if (m4 !== m) f32.fill(0, (xPtr >> 2) + m * dim, (xPtr >> 2) + m4 * dim);
      this.fn(xPtr, m4 / 4, 0, k, lPtr, dPtr);
      labels.set(i32.subarray(lPtr >> 2, (lPtr >> 2) + m), s);
      distances.set(f32.subarray(dPtr >> 2, (dPtr >> 2) + m), s);
    }
  }
}

const kernelFor = perShape((dim: number) => new SmallAssign(dim));

/** Nearest of k centroids (row-major, dim columns) for each of n points: labels and squared distances. */
export function smallAssign(x: Float32Array, n: number, c: Float32Array, k: number, labels: Int32Array, distances: Float32Array, dim: number): void {
  kernelFor(dim).run(x, n, c, k, labels, distances);
}
