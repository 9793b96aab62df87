/// <reference path="./webassembly.d.ts" />
import type { TopK } from '../../../topk.js';
import { pq4ScanModuleBytes } from './pq4-scan-module.js';

/** Blocks (of 32 codes) scanned per kernel call: bounds the scratch memory whatever the list size. */
const CHUNK_BLOCKS = 128;
const PAGE = 65536;
const LIST_FACTOR = 2 ** 24;

/** A candidate's heap label: its list and its position there in one exact float64 (lists < 2^24, positions < 2^29). */
export function entryHandle(list: number, offset: number): number {
  return offset * LIST_FACTOR + list;
}

export function handleList(h: number): number {
  return h % LIST_FACTOR;
}

export function handleOffset(h: number): number {
  return Math.floor(h / LIST_FACTOR);
}

/**
 * One query's 4-bit fast-scan on the WebAssembly kernel (pq4-scan-module.ts). The kernel reads its uint8
 * tables and the blocks from its own memory: the table is copied in once per query (or per list), the blocks of
 * each list chunk by chunk (a memcpy of 16·M2 bytes per 32 codes). Scores are the kernel's uint16 sums; the
 * heap's threshold, fixed for each call, lets only the codes that can still enter come back.
 * Cached per (M2, direction) and reused; a thread's calls never interleave.
 */
export class Pq4Scanner {
  private readonly scanFn: (codes: number, nblocks: number, lut: number, bias: number, thr: number, out: number, scratch: number) => number;
  private readonly bytes: Uint8Array;
  private readonly out: Int32Array;
  private readonly lutPtr = 0;
  private readonly scratchPtr: number;
  private readonly outPtr: number;
  private readonly codesPtr: number;
  private readonly blockBytes: number;

  constructor(
    readonly M2: number,
    readonly higherIsBetter: boolean,
  ) {
    this.blockBytes = 16 * M2;
    this.scratchPtr = Math.ceil((M2 * 16) / 64) * 64;
    this.outPtr = this.scratchPtr + 64;
    this.codesPtr = this.outPtr + CHUNK_BLOCKS * 32 * 8;
    const memory = new WebAssembly.Memory({ initial: Math.ceil((this.codesPtr + CHUNK_BLOCKS * this.blockBytes) / PAGE) });
    const instance = new WebAssembly.Instance(compiledModule(M2, higherIsBetter), { env: { memory } });
    this.scanFn = instance.exports.scan as Pq4Scanner['scanFn'];
    // The memory never grows, so these views stay attached.
    this.bytes = new Uint8Array(memory.buffer);
    this.out = new Int32Array(memory.buffer, this.outPtr, CHUNK_BLOCKS * 32 * 2);
  }

  /** Makes luts[offset .. offset + 16·M2) the table the next scans use. */
  setLut(luts: Uint8Array, offset: number): void {
    this.bytes.set(luts.subarray(offset, offset + 16 * this.M2), this.lutPtr);
  }

  /** Offers the n codes of one list (faiss's block layout) to the heap as bias + Σ table, labelled entryHandle(list, i). */
  scan(blocks: Uint8Array, n: number, bias: number, list: number, heap: TopK): void {
    const { blockBytes, out } = this;
    const nblocks = Math.ceil(n / 32);
    for (let start = 0; start < nblocks; start += CHUNK_BLOCKS) {
      const t = heap.threshold();
      // Strictly better than the heap's worst: ≥ t + 1 (higher is better) or ≤ t − 1 in integers.
      const thr = this.higherIsBetter ? (t === -Infinity ? 0 : t + 1) : t === Infinity ? 65535 : t - 1;
      if (thr < 0 || thr > 65535) return;
      const len = Math.min(CHUNK_BLOCKS, nblocks - start);
      this.bytes.set(blocks.subarray(start * blockBytes, (start + len) * blockBytes), this.codesPtr);
      const count = this.scanFn(this.codesPtr, len, this.lutPtr, bias, thr, this.outPtr, this.scratchPtr);
      const first = start * 32;
      for (let c = 0; c < count; c++) {
        const i = first + out[2 * c];
        if (i < n) heap.push(out[2 * c + 1], entryHandle(list, i)); // codes past n pad the last block
      }
    }
  }
}

const modules = new Map<string, WebAssembly.Module>();
const scanners = new Map<string, Pq4Scanner>();

function compiledModule(M2: number, higherIsBetter: boolean): WebAssembly.Module {
  const key = `${M2}:${higherIsBetter}`;
  let m = modules.get(key);
  if (!m) {
    m = new WebAssembly.Module(pq4ScanModuleBytes(M2, higherIsBetter));
    modules.set(key, m);
  }
  return m;
}

/** The cached scanner for one even sub-quantizer count and direction. */
export function pq4Scanner(M2: number, higherIsBetter: boolean): Pq4Scanner {
  const key = `${M2}:${higherIsBetter}`;
  let s = scanners.get(key);
  if (!s) {
    s = new Pq4Scanner(M2, higherIsBetter);
    scanners.set(key, s);
  }
  return s;
}
