/// <reference path="./webassembly.d.ts" />
import { KernelReservoir, slotIsId } from '../kernel-reservoir.js';
import { claimArenaHead, ScannerCache } from './arena-heads.js';
import { SHARED_MAX_PAGES, compiledKernel } from './bytes.js';
import { pq4ScanModuleBytes } from './pq4-scan-module.js';

/** Blocks (of 32 codes) copied into the scanner's own memory at a time: bounds that scratch whatever the list size. */
const CHUNK_BLOCKS = 128;
const PAGE = 65536;
/** Bytes of the block scores the kernel spills when one of them passes. */
const SCRATCH = 64;

/**
 * One query's 4-bit fast-scan on the WebAssembly kernel (pq4-scan-module.ts). The kernel reads its uint8
 * tables and the blocks from its memory. Lists kept in an arena (PackedLists.arena, fastscan/arena.ts: a shared
 * memory every thread scans) are scanned where they lie; the scanner grows the arena by a head of its own for its
 * table, scratch and reservoir, so the threads scanning one arena never share bytes they write. Other lists are copied
 * into a memory of the scanner's own chunk by chunk (a copy measured to cost as much as the scan itself). The kernel
 * appends the codes whose uint16 sum beats the reservoir's bound straight into the reservoir (kernel-reservoir.ts),
 * labelled by the slots the caller gives each list; ties keep the earlier slot.
 * Cached per (M2, direction, memory) and reused; a thread's calls never interleave.
 *
 * Head: table (16·M2 bytes) | scratch (64) | [own memory: codes chunk] | reservoir (8 bytes per entry, to the end of
 * the head, or of the own memory, which grows for a large k).
 */
export class Pq4Scanner {
  private readonly scanFn: (codes: number, nblocks: number, lut: number, bias: number, thr: number, out: number, scratch: number, first: number) => number;
  private readonly memory: WebAssembly.Memory;
  private bytes!: Uint8Array;
  private lutPtr = 0;
  private scratchPtr = 0;
  /** Where copied chunks go (own memory only). */
  private codesPtr = 0;
  private resPtr = 0;
  private capacity = 0;
  private readonly blockBytes: number;
  private readonly arena: WebAssembly.Memory | null;
  private readonly reservoir: KernelReservoir;

  constructor(
    readonly M2: number,
    readonly higherIsBetter: boolean,
    arena: WebAssembly.Memory | null = null,
  ) {
    this.blockBytes = 16 * M2;
    this.arena = arena;
    this.memory = arena ?? new WebAssembly.Memory({ initial: Math.ceil((this.headBytes(100) + CHUNK_BLOCKS * this.blockBytes) / PAGE), maximum: SHARED_MAX_PAGES, shared: true });
    const instance = new WebAssembly.Instance(compiledKernel(`pq4:${M2}:${higherIsBetter}`, () => pq4ScanModuleBytes(M2, higherIsBetter)), { env: { memory: this.memory } });
    this.scanFn = instance.exports.scan as Pq4Scanner['scanFn'];
    this.reservoir = new KernelReservoir(higherIsBetter, 'i32');
    if (arena) this.claimHead(100);
    else this.layOut(0, this.memory.buffer.byteLength);
  }

  /** Bytes of a head whose reservoir holds a query keeping k (without the own memory's chunk). */
  private headBytes(k: number): number {
    return Math.ceil((this.M2 * 16) / 64) * 64 + SCRATCH + KernelReservoir.capacityFor(k) * 8;
  }

  /** Grows the shared arena by a head for this thread's scanner (arena-heads.ts). */
  private claimHead(k: number): void {
    const { start, end } = claimArenaHead(this.memory, this.headBytes(k));
    this.layOut(start, end);
  }

  /** Places the head at [base, end) and (re)makes the views. */
  private layOut(base: number, end: number): void {
    this.lutPtr = base;
    this.scratchPtr = base + Math.ceil((this.M2 * 16) / 64) * 64;
    this.codesPtr = this.scratchPtr + SCRATCH;
    this.resPtr = this.arena ? this.codesPtr : this.codesPtr + CHUNK_BLOCKS * this.blockBytes;
    this.capacity = Math.floor((end - this.resPtr) / 8);
    this.bytes = new Uint8Array(this.memory.buffer);
    this.reservoir.attach(this.memory, this.resPtr, this.capacity);
  }

  /** Makes luts[offset .. offset + 16·M2) the table the next scans use. */
  setLut(luts: Uint8Array, offset: number): void {
    this.bytes.set(luts.subarray(offset, offset + 16 * this.M2), this.lutPtr);
  }

  /** Starts a query keeping the k best (a larger k than the head holds takes a larger head). */
  begin(k: number): void {
    const need = KernelReservoir.capacityFor(k);
    if (this.capacity < need) {
      if (this.arena) this.claimHead(k);
      else {
        this.memory.grow(Math.ceil((this.resPtr + need * 8 - this.memory.buffer.byteLength) / PAGE));
        this.layOut(0, this.memory.buffer.byteLength);
      }
    }
    this.reservoir.begin(k, slotIsId);
  }

  /** Scores the n codes of one list (faiss's block layout) as bias + Σ table; code i is slot first + i. */
  scan(blocks: Uint8Array, n: number, bias: number, first: number): void {
    const nblocks = Math.ceil(n / 32);
    if (this.arena !== null) {
      // PackedLists.arena: every list's blocks are views of the arena, at their byte offset in it.
      this.scanAt(blocks.byteOffset, 0, nblocks, n, bias, first);
      return;
    }
    for (let start = 0; start < nblocks; start += CHUNK_BLOCKS) {
      const len = Math.min(CHUNK_BLOCKS, nblocks - start);
      this.bytes.set(blocks.subarray(start * this.blockBytes, (start + len) * this.blockBytes), this.codesPtr);
      if (!this.scanAt(this.codesPtr, start, len, n, bias, first)) return;
    }
  }

  /**
   * Blocks [b0, b0 + nblocks) of a list, at byte `ptr` of the kernel's memory, in calls that fit the reservoir's
   * free room (every code of a call may pass). Returns false once nothing can enter any more.
   */
  private scanAt(ptr: number, b0: number, nblocks: number, n: number, bias: number, first: number): boolean {
    const { reservoir, blockBytes } = this;
    for (let b = 0; b < nblocks; ) {
      const free = reservoir.free();
      const t = reservoir.bound;
      // Strictly better than the k-th kept (ties keep the earlier slot): ≥ t + 1 (higher is better) or ≤ t − 1.
      const thr = this.higherIsBetter ? (t === -Infinity ? 0 : t + 1) : t === Infinity ? 65535 : t - 1;
      if (thr < 0 || thr > 65535) return false;
      const calls = Math.min(nblocks - b, free >> 5);
      const from = reservoir.count;
      reservoir.count += this.scanFn(ptr + b * blockBytes, calls, this.lutPtr, bias, thr, this.resPtr + from * 8, this.scratchPtr, first + (b0 + b) * 32);
      b += calls;
      // Codes past n only pad the list's last block.
      if ((b0 + b) * 32 > n) reservoir.dropSlotsFrom(from, first + n);
    }
    return true;
  }

  /** The query's k best, best first (ties: earlier slot first), as uint16 sums and slots at offset (−1: none). */
  drainInto(scores: Int32Array, slots: Float64Array, offset: number): void {
    this.reservoir.drainInto(scores, slots, offset);
  }
}

const scanners = new ScannerCache<Pq4Scanner>();

/**
 * This thread's cached scanner for one even sub-quantizer count and direction: over the lists' arena when they lie
 * in one, else over a memory of its own.
 */
export function pq4Scanner(M2: number, higherIsBetter: boolean, arena?: { memory: WebAssembly.Memory }): Pq4Scanner {
  const key = `${M2}:${higherIsBetter}`;
  return scanners.get(key, arena, () => new Pq4Scanner(M2, higherIsBetter, arena?.memory ?? null));
}
