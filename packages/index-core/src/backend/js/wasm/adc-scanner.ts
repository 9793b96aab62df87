/// <reference path="./webassembly.d.ts" />
import type { TopK } from '../../../topk.js';
import { adcScanModuleBytes } from './adc-scan-module.js';

/** Codes scanned per kernel call: bounds the scratch memory (codes + candidates) whatever the list size. */
const CHUNK = 4096;
/** Codes per kernel call: the heap's threshold is refreshed between calls. */
const CALL = 128;
const PAGE = 65536;

/**
 * One query's PQ scan on the WebAssembly kernel. The kernel reads its table and codes from its own
 * linear memory, so the table is written there once per query (or per list for l2 residual terms) and
 * each block of codes is copied in before the call: a memcpy of M bytes per code, far cheaper than the
 * bounds-checked JS loads it replaces (measured 13 → 8 ns per 20-byte code).
 * Scanners are cached per shape and reused; a thread's calls never interleave, so one per shape suffices.
 */
export class AdcScanner {
  /** The query table inside the kernel's memory; callers fill it in place (M·ksub floats). */
  readonly table: Float32Array;
  private readonly scanFn: (codes: number, n: number, table: number, bias: number, thr: number, out: number) => number;
  private readonly bytes: Uint8Array;
  private readonly outI32: Int32Array;
  private readonly outF32: Float32Array;
  private readonly tablePtr: number;
  private readonly outPtr: number;
  private readonly codesPtr: number;

  constructor(
    readonly M: number,
    readonly ksub: number,
    higherIsBetter: boolean,
  ) {
    const tableBytes = M * ksub * 4;
    this.tablePtr = 0;
    this.outPtr = tableBytes;
    this.codesPtr = this.outPtr + CHUNK * 8;
    const pages = Math.ceil((this.codesPtr + CHUNK * M) / PAGE);
    const memory = new WebAssembly.Memory({ initial: pages });
    const instance = new WebAssembly.Instance(compiledModule(M, ksub, higherIsBetter), { env: { memory } });
    this.scanFn = instance.exports.scan as AdcScanner['scanFn'];
    // The memory never grows, so these views stay attached.
    this.bytes = new Uint8Array(memory.buffer);
    this.table = new Float32Array(memory.buffer, this.tablePtr, M * ksub);
    this.outI32 = new Int32Array(memory.buffer, this.outPtr, CHUNK * 2);
    this.outF32 = new Float32Array(memory.buffer, this.outPtr, CHUNK * 2);
  }

  /**
   * Scores codes[0..n) (n·M bytes) as bias + Σ_m table[m][code_m] against the current table and offers
   * them to the heap; entry i is labelled ids[i] (or i when ids is null).
   */
  scan(codes: Uint8Array, n: number, bias: number, ids: Float64Array | null, heap: TopK): void {
    const { M, bytes, outI32, outF32 } = this;
    for (let start = 0; start < n; start += CHUNK) {
      const len = Math.min(CHUNK, n - start);
      bytes.set(codes.subarray(start * M, (start + len) * M), this.codesPtr);
      // The kernel runs on CALL codes at a time, each call with the heap's threshold of the moment: one threshold
      // per chunk let through every code beating the previous lists' k-th, and at small nprobe the heap work
      // for those candidates outweighed the look-ups.
      for (let at = 0; at < len; at += CALL) {
        const count = this.scanFn(this.codesPtr + at * M, Math.min(CALL, len - at), this.tablePtr, bias, heap.threshold(), this.outPtr);
        for (let c = 0; c < count; c++) {
          const i = start + at + outI32[2 * c];
          heap.push(outF32[2 * c + 1], ids === null ? i : ids[i]);
        }
      }
    }
  }
}

const modules = new Map<string, WebAssembly.Module>();
const scanners = new Map<string, AdcScanner>();

function compiledModule(M: number, ksub: number, higherIsBetter: boolean): WebAssembly.Module {
  const key = `${M}:${ksub}:${higherIsBetter}`;
  let m = modules.get(key);
  if (!m) {
    m = new WebAssembly.Module(adcScanModuleBytes(M, ksub, higherIsBetter));
    modules.set(key, m);
  }
  return m;
}

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
