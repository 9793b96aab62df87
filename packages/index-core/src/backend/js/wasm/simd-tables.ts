/// <reference path="./webassembly.d.ts" />
import { isUnchanging } from '../../../matrix.js';
import { perShape } from './bytes.js';
import { pqTablesModuleBytes } from './pq-tables-module.js';

/** Sub-space dimensions the SIMD table kernel takes (PQ sub-spaces are typically 2..16). */
export const TABLES_DSUB_MAX = 16;
/** Queries per kernel pass: bounds the memory (their tables) whatever the batch. */
const CHUNK = 64;
const PAGE = 65536;

/**
 * PQ look-up tables on the WebAssembly kernel of pq-tables-module.ts: the codebooks transposed into blocks of 4
 * once per call, queries and their tables moved through the kernel's memory in chunks. One instance per
 * (dsub, metric) and thread; its memory grows to the largest batch asked for.
 */
class SimdTables {
  private readonly memory = new WebAssembly.Memory({ initial: 1 });
  private readonly fn: (q: number, nq: number, qStride: number, cT: number, kBlocks: number, out: number, outStride: number) => void;
  private f32: Float32Array;
  /**
   * The codebooks whose transposed blocks lie at the start of the memory (unchanging ones only: matrix.ts; one
   * ProductQuantizer's view, so its shape comes with it).
   */
  private held: WeakRef<Float32Array> | null = null;

  constructor(readonly dsub: number, l2: boolean) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(pqTablesModuleBytes(dsub, l2)), { env: { memory: this.memory } });
    this.fn = instance.exports.tables as SimdTables['fn'];
    this.f32 = new Float32Array(this.memory.buffer);
  }

  /** out[i][m][j] for nq queries of M·dsub dimensions and ksub (a multiple of 4) codewords per sub-space. */
  run(q: Float32Array, nq: number, codebooks: Float32Array, M: number, ksub: number, out: Float32Array): void {
    const { dsub } = this;
    const d = M * dsub;
    const kBlocks = ksub / 4;
    const cFloats = M * ksub * dsub;
    const qPtr = cFloats * 4;
    const oPtr = qPtr + CHUNK * d * 4;
    const need = oPtr + CHUNK * M * ksub * 4;
    if (need > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / PAGE));
      this.f32 = new Float32Array(this.memory.buffer); // growing detaches the old view
    }
    const { f32 } = this;
    if (this.held?.deref() !== codebooks) this.transpose(codebooks, M, ksub);
    const rowBytes = M * ksub * 4;
    for (let s = 0; s < nq; s += CHUNK) {
      const n = Math.min(CHUNK, nq - s);
      f32.set(q.subarray(s * d, (s + n) * d), qPtr >> 2);
      for (let m = 0; m < M; m++) this.fn(qPtr + m * dsub * 4, n, d * 4, m * ksub * dsub * 4, kBlocks, oPtr + m * ksub * 4, rowBytes);
      out.set(f32.subarray(oPtr >> 2, (oPtr >> 2) + n * M * ksub), s * M * ksub);
    }
  }

  /**
   * Writes the codebooks at the start of the memory, transposed into the kernel's blocks of 4 codewords, and holds
   * them while they are unchanging (the next call on the same view object skips this).
   */
  private transpose(codebooks: Float32Array, M: number, ksub: number): void {
    const { dsub, f32 } = this;
    const kBlocks = ksub / 4;
    // cT of sub-space m at m·ksub·dsub floats: block b, coordinate t, lane → codeword 4b + lane.
    for (let m = 0; m < M; m++) {
      const src = m * ksub * dsub;
      for (let b = 0; b < kBlocks; b++) {
        for (let t = 0; t < dsub; t++) {
          const o = src + (b * dsub + t) * 4;
          for (let lane = 0; lane < 4; lane++) f32[o + lane] = codebooks[src + (4 * b + lane) * dsub + t];
        }
      }
    }
    this.held = isUnchanging(codebooks) ? new WeakRef(codebooks) : null;
  }
}

const kernelFor = perShape((key: string) => {
  const [dsub, metric] = key.split(':');
  return new SimdTables(Number(dsub), metric === 'l2');
});

/** nq × M × ksub tables (ip: dot products, l2: squared distances) on the SIMD kernel; ksub a multiple of 4. */
export function simdTables(q: Float32Array, nq: number, codebooks: Float32Array, M: number, ksub: number, dsub: number, l2: boolean, out: Float32Array): void {
  kernelFor(`${dsub}:${l2 ? 'l2' : 'ip'}`).run(q, nq, codebooks, M, ksub, out);
}
