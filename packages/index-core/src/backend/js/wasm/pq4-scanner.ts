/// <reference path="./webassembly.d.ts" />
/** Where the scan's candidates go: a top-k (reservoir.ts) with the score a new candidate must strictly beat. */
export interface CandidateSink {
  threshold(): number;
  push(score: number, handle: number): void;
}
import { pq4ScanModuleBytes } from './pq4-scan-module.js';

/** Blocks (of 32 codes) scanned per kernel call: bounds the scratch memory whatever the list size. */
const CHUNK_BLOCKS = 128;
/** Blocks per kernel call: the heap's threshold is refreshed between calls. */
const CALL_BLOCKS = 4;
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
 * tables and the blocks from its memory. Lists kept in a WebAssembly memory of their own (PackedLists.arena,
 * as fastscan/fast-scan-packing.ts keeps them) are scanned where they are, the table and scratch in the bytes the
 * arena reserves; other lists are copied in chunk by chunk (a copy measured to cost as much as the scan itself).
 * Scores are the kernel's uint16 sums; the heap's threshold, refreshed every few blocks, lets only the codes
 * that can still enter come back.
 * Cached per (M2, direction, memory) and reused; a thread's calls never interleave.
 */
export class Pq4Scanner {
  private readonly scanFn: (codes: number, nblocks: number, lut: number, bias: number, thr: number, out: number, scratch: number) => number;
  private readonly bytes: Uint8Array;
  private readonly out: Int32Array;
  private readonly lutPtr = 0;
  private readonly scratchPtr: number;
  private readonly outPtr: number;
  /** Where copied chunks go (own memory only). */
  private readonly codesPtr: number;
  private readonly blockBytes: number;
  private readonly arena: WebAssembly.Memory | null;

  constructor(
    readonly M2: number,
    readonly higherIsBetter: boolean,
    arena: WebAssembly.Memory | null = null,
  ) {
    this.blockBytes = 16 * M2;
    this.scratchPtr = Math.ceil((M2 * 16) / 64) * 64;
    this.outPtr = this.scratchPtr + 64;
    this.codesPtr = this.outPtr + CALL_BLOCKS * 32 * 8;
    this.arena = arena;
    const memory = arena ?? new WebAssembly.Memory({ initial: Math.ceil((this.codesPtr + CHUNK_BLOCKS * this.blockBytes) / PAGE) });
    const instance = new WebAssembly.Instance(compiledModule(M2, higherIsBetter), { env: { memory } });
    this.scanFn = instance.exports.scan as Pq4Scanner['scanFn'];
    // Neither memory grows once made (the arena is sized when the lists are packed), so these views stay attached.
    this.bytes = new Uint8Array(memory.buffer);
    this.out = new Int32Array(memory.buffer, this.outPtr, CALL_BLOCKS * 32 * 2);
  }

  /** Bytes a list arena must reserve at its start for a scanner of M2 sub-quantizers to work in it. */
  static reservedBytes(M2: number): number {
    return Math.ceil((M2 * 16) / 64) * 64 + 64 + CALL_BLOCKS * 32 * 8;
  }

  /** Makes luts[offset .. offset + 16·M2) the table the next scans use. */
  setLut(luts: Uint8Array, offset: number): void {
    this.bytes.set(luts.subarray(offset, offset + 16 * this.M2), this.lutPtr);
  }

  /** Offers the n codes of one list (faiss's block layout) to the heap as bias + Σ table, labelled entryHandle(list, i). */
  scan(blocks: Uint8Array, n: number, bias: number, list: number, heap: CandidateSink): void {
    const nblocks = Math.ceil(n / 32);
    if (this.arena !== null && blocks.buffer === this.arena.buffer) {
      this.scanAt(blocks.byteOffset, 0, nblocks, n, bias, list, heap);
      return;
    }
    for (let start = 0; start < nblocks; start += CHUNK_BLOCKS) {
      const len = Math.min(CHUNK_BLOCKS, nblocks - start);
      this.bytes.set(blocks.subarray(start * this.blockBytes, (start + len) * this.blockBytes), this.codesPtr);
      if (!this.scanAt(this.codesPtr, start, len, n, bias, list, heap)) return;
    }
  }

  /**
   * Blocks [first, first + nblocks) of a list, at byte `ptr` of the kernel's memory. The kernel runs on a few
   * blocks at a time, each call with the heap's threshold of the moment: one threshold for a whole list let
   * through every code beating the previous lists' k-th (1,500 candidates per 10,000 codes at nprobe 8, k = 100).
   * Returns false once nothing can enter the heap any more.
   */
  private scanAt(ptr: number, first: number, nblocks: number, n: number, bias: number, list: number, heap: CandidateSink): boolean {
    const { out, blockBytes } = this;
    for (let b = 0; b < nblocks; b += CALL_BLOCKS) {
      const t = heap.threshold();
      // Strictly better than the heap's worst: ≥ t + 1 (higher is better) or ≤ t − 1 in integers.
      const thr = this.higherIsBetter ? (t === -Infinity ? 0 : t + 1) : t === Infinity ? 65535 : t - 1;
      if (thr < 0 || thr > 65535) return false;
      const count = this.scanFn(ptr + b * blockBytes, Math.min(CALL_BLOCKS, nblocks - b), this.lutPtr, bias, thr, this.outPtr, this.scratchPtr);
      const at = (first + b) * 32;
      for (let c = 0; c < count; c++) {
        const i = at + out[2 * c];
        if (i < n) heap.push(out[2 * c + 1], entryHandle(list, i)); // codes past n pad the last block
      }
    }
    return true;
  }
}

const modules = new Map<string, WebAssembly.Module>();
const scanners = new Map<string, Pq4Scanner>();
const arenaScanners = new WeakMap<WebAssembly.Memory, Map<string, Pq4Scanner>>();

function compiledModule(M2: number, higherIsBetter: boolean): WebAssembly.Module {
  const key = `${M2}:${higherIsBetter}`;
  let m = modules.get(key);
  if (!m) {
    m = new WebAssembly.Module(pq4ScanModuleBytes(M2, higherIsBetter));
    modules.set(key, m);
  }
  return m;
}

/**
 * The cached scanner for one even sub-quantizer count and direction: over the lists' own arena when they live in
 * one that reserves enough scratch, else over a memory of its own.
 */
export function pq4Scanner(M2: number, higherIsBetter: boolean, arena?: { memory: WebAssembly.Memory; reserved: number }): Pq4Scanner {
  const key = `${M2}:${higherIsBetter}`;
  if (arena && arena.reserved >= Pq4Scanner.reservedBytes(M2)) {
    let byKey = arenaScanners.get(arena.memory);
    if (!byKey) {
      byKey = new Map();
      arenaScanners.set(arena.memory, byKey);
    }
    let s = byKey.get(key);
    if (!s) {
      s = new Pq4Scanner(M2, higherIsBetter, arena.memory);
      byKey.set(key, s);
    }
    return s;
  }
  let s = scanners.get(key);
  if (!s) {
    s = new Pq4Scanner(M2, higherIsBetter);
    scanners.set(key, s);
  }
  return s;
}
