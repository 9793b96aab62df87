/// <reference path="./webassembly.d.ts" />
import { KernelReservoir } from '../kernel-reservoir.js';
import { adcScanModuleBytes } from './adc-scan-module.js';
import { claimArenaHead, ScannerCache } from './arena-heads.js';
import { compiledKernel } from './bytes.js';

/** Codes copied into the kernel's memory at a time: bounds that scratch whatever the list size. */
const CHUNK = 4096;
const PAGE = 65536;

/**
 * One query's PQ scan on the WebAssembly kernel. The kernel reads its table and codes from its linear memory, so
 * the table is written there once per query (or per list for l2 residual terms). Lists kept in an arena (a shared
 * memory, fastscan/arena.ts: IVF-PQ places its codes there at its first search) are scanned where they lie; the
 * scanner grows the arena by a head of its own for its table and reservoir, so threads scanning one arena never share
 * bytes they write. Other codes are copied in chunk by chunk: a memcpy of M bytes per code, far cheaper than the
 * bounds-checked JS loads it replaced (13 → 8 ns per 20-byte code), but a copy out of a SharedArrayBuffer (lists a
 * threaded search shared) is V8's relaxed-atomic one: GloVe IVF1024,PQ20x8, one thread, 25–37% slower searches.
 * The candidates go straight into a reservoir in the same memory (kernel-reservoir.ts), labelled by a running slot
 * the caller maps to ids. Scanners are cached per shape, direction and memory; a thread's calls never interleave.
 *
 * Head: table (M·ksub f32) | [own memory: codes chunk (CHUNK·M bytes)] | reservoir (8 bytes per entry, to the end of
 * the head, or of the own memory, which grows for a large k).
 */
export class AdcScanner {
  /** The query table inside the kernel's memory; callers fill it in place (M·ksub floats). Re-read after begin(). */
  table!: Float32Array;
  private readonly scanFn: (codes: number, n: number, table: number, bias: number, thr: number, out: number, base: number) => number;
  private readonly memory: WebAssembly.Memory;
  private readonly arena: WebAssembly.Memory | null;
  private bytes!: Uint8Array;
  private tablePtr = 0;
  private codesPtr = 0;
  private resPtr = 0;
  private capacity = 0;
  private readonly reservoir: KernelReservoir;

  constructor(
    readonly M: number,
    readonly ksub: number,
    higherIsBetter: boolean,
    arena: WebAssembly.Memory | null = null,
  ) {
    this.arena = arena;
    this.memory = arena ?? new WebAssembly.Memory({ initial: Math.ceil((this.headBytes(100) + CHUNK * M) / PAGE) });
    const shared = arena !== null;
    const instance = new WebAssembly.Instance(compiledKernel(`adc:${M}:${ksub}:${higherIsBetter}:${shared}`, () => adcScanModuleBytes(M, ksub, higherIsBetter, shared)), { env: { memory: this.memory } });
    this.scanFn = instance.exports.scan as AdcScanner['scanFn'];
    this.reservoir = new KernelReservoir(higherIsBetter);
    if (arena) this.claimHead(100);
    else this.layOut(0, this.memory.buffer.byteLength);
  }

  /** Bytes of a head whose reservoir holds a query keeping k (without the own memory's codes chunk). */
  private headBytes(k: number): number {
    return Math.ceil((this.M * this.ksub * 4) / 8) * 8 + KernelReservoir.capacityFor(k) * 8;
  }

  /** Grows the shared arena by a head for this thread's scanner (arena-heads.ts). */
  private claimHead(k: number): void {
    const { start, end } = claimArenaHead(this.memory, this.headBytes(k));
    this.layOut(start, end);
  }

  /** Places the head at [base, end) and (re)makes the views (after the memory grows, an own one's old views are detached). */
  private layOut(base: number, end: number): void {
    const { buffer } = this.memory;
    this.tablePtr = base;
    this.codesPtr = base + Math.ceil((this.M * this.ksub * 4) / 8) * 8;
    this.resPtr = this.arena ? this.codesPtr : this.codesPtr + Math.ceil((CHUNK * this.M) / 8) * 8;
    this.capacity = Math.floor((end - this.resPtr) / 8);
    this.bytes = new Uint8Array(buffer);
    this.table = new Float32Array(buffer, this.tablePtr, this.M * this.ksub);
    this.reservoir.attach(this.memory, this.resPtr, this.capacity);
  }

  /**
   * Starts a query keeping the k best; idOf maps the slots passed to scan (base + position) to the ids reported,
   * and breaks ties. The table view may change here (the memory grows for a large k): fill it after this call.
   */
  begin(k: number, idOf: (slot: number) => number): void {
    const need = KernelReservoir.capacityFor(k);
    if (this.capacity < need) {
      if (this.arena) this.claimHead(k);
      else {
        this.memory.grow(Math.ceil((this.resPtr + need * 8 - this.memory.buffer.byteLength) / PAGE));
        this.layOut(0, this.memory.buffer.byteLength);
      }
    }
    this.reservoir.begin(k, idOf);
  }

  /** Scores codes[0..n) (n·M bytes) as bias + Σ_m table[m][code_m] against the current table; code i is slot base + i. */
  scan(codes: Uint8Array, n: number, bias: number, base: number): void {
    const { M, bytes } = this;
    if (this.arena !== null) {
      // ListView.arena: every list's codes are views of the arena, at their byte offset in it.
      this.scanAt(codes.byteOffset, n, bias, base);
      return;
    }
    for (let start = 0; start < n; start += CHUNK) {
      const len = Math.min(CHUNK, n - start);
      bytes.set(codes.subarray(start * M, (start + len) * M), this.codesPtr);
      this.scanAt(this.codesPtr, len, bias, base + start);
    }
  }

  /** n codes at byte `ptr` of the kernel's memory, in calls that fit the reservoir's free room (every code may pass). */
  private scanAt(ptr: number, n: number, bias: number, base: number): void {
    const { M, reservoir } = this;
    for (let at = 0; at < n; ) {
      const count = Math.min(n - at, reservoir.free());
      reservoir.count += this.scanFn(ptr + at * M, count, this.tablePtr, bias, reservoir.bound, this.resPtr + reservoir.count * 8, base + at);
      at += count;
    }
  }

  /** The query's k best, best first, into distances / labels at offset (padded with −1 ids). */
  drainInto(distances: Float32Array, labels: Float64Array, offset: number): void {
    this.reservoir.drainInto(distances, labels, offset);
  }
}

const scanners = new ScannerCache<AdcScanner>();

/** This thread's cached scanner for one shape and direction: over the lists' arena when they lie in one, else its own memory. */
export function adcScanner(M: number, ksub: number, higherIsBetter: boolean, arena?: { memory: WebAssembly.Memory }): AdcScanner {
  const key = `${M}:${ksub}:${higherIsBetter}`;
  return scanners.get(key, arena, () => new AdcScanner(M, ksub, higherIsBetter, arena?.memory ?? null));
}
