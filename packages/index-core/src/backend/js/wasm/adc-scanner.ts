/// <reference path="./webassembly.d.ts" />
import { KernelReservoir } from '../kernel-reservoir.js';
import { adcScanModuleBytes } from './adc-scan-module.js';
import { compiledKernel } from './bytes.js';

/** Codes copied into the kernel's memory at a time: bounds that scratch whatever the list size. */
const CHUNK = 4096;
const PAGE = 65536;

/**
 * One query's PQ scan on the WebAssembly kernel. The kernel reads its table and codes from its own linear
 * memory, so the table is written there once per query (or per list for l2 residual terms) and each chunk of
 * codes is copied in before the call: a memcpy of M bytes per code, far cheaper than the bounds-checked JS loads
 * it replaces (measured 13 → 8 ns per 20-byte code). The candidates go straight into a reservoir in the same
 * memory (kernel-reservoir.ts), labelled by a running slot the caller maps to ids.
 * Scanners are cached per shape and reused; a thread's calls never interleave, so one per shape suffices.
 *
 * Memory: table (M·ksub f32) | codes chunk (CHUNK·M bytes) | reservoir (capacity × 8 bytes, grown for large k).
 */
export class AdcScanner {
  /** The query table inside the kernel's memory; callers fill it in place (M·ksub floats). Re-read after begin(). */
  table!: Float32Array;
  private readonly scanFn: (codes: number, n: number, table: number, bias: number, thr: number, out: number, base: number) => number;
  private readonly memory: WebAssembly.Memory;
  private bytes!: Uint8Array;
  private readonly tablePtr = 0;
  private readonly codesPtr: number;
  private readonly resPtr: number;
  private capacity = 0;
  private readonly reservoir: KernelReservoir;

  constructor(
    readonly M: number,
    readonly ksub: number,
    higherIsBetter: boolean,
  ) {
    this.codesPtr = M * ksub * 4;
    this.resPtr = Math.ceil((this.codesPtr + CHUNK * M) / 8) * 8;
    this.memory = new WebAssembly.Memory({ initial: Math.ceil((this.resPtr + KernelReservoir.capacityFor(100) * 8) / PAGE) });
    const instance = new WebAssembly.Instance(compiledKernel(`adc:${M}:${ksub}:${higherIsBetter}`, () => adcScanModuleBytes(M, ksub, higherIsBetter)), { env: { memory: this.memory } });
    this.scanFn = instance.exports.scan as AdcScanner['scanFn'];
    this.reservoir = new KernelReservoir(higherIsBetter, 'f32');
    this.attach();
  }

  /** (Re)makes the views over the memory: after it grows, the old ones are detached. */
  private attach(): void {
    const { buffer } = this.memory;
    this.capacity = Math.floor((buffer.byteLength - this.resPtr) / 8);
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
      this.memory.grow(Math.ceil((this.resPtr + need * 8 - this.memory.buffer.byteLength) / PAGE));
      this.attach();
    }
    this.reservoir.begin(k, idOf);
  }

  /** Scores codes[0..n) (n·M bytes) as bias + Σ_m table[m][code_m] against the current table; code i is slot base + i. */
  scan(codes: Uint8Array, n: number, bias: number, base: number): void {
    const { M, bytes, reservoir } = this;
    for (let start = 0; start < n; start += CHUNK) {
      const len = Math.min(CHUNK, n - start);
      bytes.set(codes.subarray(start * M, (start + len) * M), this.codesPtr);
      for (let at = 0; at < len; ) {
        // Every code of a call may be a candidate: no more codes than free entries.
        const count = Math.min(len - at, reservoir.free());
        reservoir.count += this.scanFn(this.codesPtr + at * M, count, this.tablePtr, bias, reservoir.bound, this.resPtr + reservoir.count * 8, base + start + at);
        at += count;
      }
    }
  }

  /** The query's k best, best first, into distances / labels at offset (padded with −1 ids). */
  drainInto(distances: Float32Array, labels: Float64Array, offset: number): void {
    this.reservoir.drainInto(distances, labels, offset);
  }
}

const scanners = new Map<string, AdcScanner>();

/** The cached scanner for one shape and direction. */
export function adcScanner(M: number, ksub: number, higherIsBetter: boolean): AdcScanner {
  const key = `${M}:${ksub}:${higherIsBetter}`;
  let s = scanners.get(key);
  if (!s) {
    s = new AdcScanner(M, ksub, higherIsBetter);
    scanners.set(key, s);
  }
  return s;
}
