/// <reference path="./webassembly.d.ts" />
import { claimArenaHead, ScannerCache } from './arena-heads.js';
import { SHARED_MAX_PAGES, compiledKernel } from './bytes.js';
import { PQ4_RECORD_BYTES, pq4ScanModuleBytes, pq4SplitBytes } from './pq4-scan-module.js';
import { relaxedSimd } from './relaxed-simd.js';
import { top16ModuleBytes } from './top16-module.js';

/** Blocks (of 32 codes) copied into the scanner's own memory at a time: bounds that scratch whatever the list size. */
const CHUNK_BLOCKS = 128;
const PAGE = 65536;
const round64 = (bytes: number) => Math.ceil(bytes / 64) * 64;

/**
 * 4-bit fast-scan on the WebAssembly kernels, one query at a time (begin, setLut, scan, drainInto: below) or for a
 * group of queries (groupArea, scanForGroup, beginRegion / addRun / drainInto: each list scanned once for every query
 * of the group probing it, into one score region per query; pq4-scan.ts lays the group out).
 *
 * One query at a time: the scan kernel (pq4-scan-module.ts) stores the uint16
 * score of every code of the probed lists in a score buffer, one list after the other; the selection kernel
 * (top16-module.ts) then finds the candidates for the k best with SIMD counting passes, and they are sorted here.
 * When the buffer fills (a list longer than it, a flat index), the candidates so far are kept at its front, with
 * their lists and offsets, and the scan goes on behind them. The result is the k best by (score, then the earlier
 * code in the order the caller scans them), as lists and offsets: buffer and region indexes grow in that order (kept
 * candidates lie in front of what was scanned after them), so ties go to the smaller index.
 *
 * The kernels read their uint8 tables and the blocks from their memory. Lists kept in an arena (PackedLists.arena,
 * fastscan/arena.ts: a shared memory every thread scans) are scanned where they lie; the scanner grows the arena by
 * a head of its own for its table, score buffer and candidates, so the threads scanning one arena never share bytes
 * they write. Other lists are copied into a memory of the scanner's own chunk by chunk. Cached per (M2, direction,
 * memory) and reused; a thread's calls never interleave.
 *
 * Head: table (16·M2 bytes) | the kernel's record and scratch | score buffer (2 bytes per code) | candidates (8 bytes each) | [own memory: codes chunk].
 */
export class Pq4Scanner {
  private readonly scanFn: (codes: number, nblocks: number, last: number, records: number, G: number, split: number, at: number) => void;
  private readonly selectFn: (buf: number, n: number, k: number, out: number) => number;
  private readonly memory: WebAssembly.Memory;
  private bytes!: Uint8Array;
  private scores16!: Uint16Array;
  private candidates!: Int32Array;
  private lutPtr = 0;
  /** The kernel's query record (its table, bias, score address) and its scratch. */
  private recPtr = 0;
  private splitPtr = 0;
  private record!: Int32Array;
  private bufPtr = 0;
  /** Where the selection reads: the score buffer, or a query's region of a grouped scan. */
  private selPtr = 0;
  private candPtr = 0;
  /** The grouped scans' area (groupArea): its address and size, 0 until one is laid out. */
  private groupBase = 0;
  private groupBytes = 0;
  /** The score regions' start, and (arena) the bytes of their own head. */
  private scoreBase = 0;
  private scoreBytes = 0;
  /** Where copied chunks go (own memory only). */
  private codesPtr = 0;
  /** Codes the score buffer holds; the k it was laid out for. */
  private capacity = 0;
  private laidOutFor = 0;
  private readonly blockBytes: number;
  private readonly arena: WebAssembly.Memory | null;

  /** The query's k; codes in the buffer; how many of them (the front) are candidates kept from earlier. */
  private k = 1;
  private n = 0;
  private kept = 0;
  /** The kept candidates' lists and offsets, and per scanned run of codes its first buffer index, list and offset. */
  private keptLists = new Int32Array(0);
  private keptOffsets = new Int32Array(0);
  private runStart = new Int32Array(16);
  private runList = new Int32Array(16);
  private runOffset = new Int32Array(16);
  private runs = 0;
  /** Per candidate: its list and offset; the sort's order, scratch and bucket counts. */
  private candLists = new Int32Array(0);
  private candOffsets = new Int32Array(0);
  private order = new Int32Array(0);
  private byLowByte = new Int32Array(0);
  private readonly counts = new Int32Array(NARROW_SPAN + 1);

  constructor(
    readonly M2: number,
    readonly higherIsBetter: boolean,
    arena: WebAssembly.Memory | null = null,
  ) {
    this.blockBytes = 16 * M2;
    this.arena = arena;
    this.memory = arena ?? new WebAssembly.Memory({ initial: Math.ceil(this.ownBytes(100) / PAGE), maximum: SHARED_MAX_PAGES, shared: true });
    const env = { env: { memory: this.memory } };
    const kernel = compiledKernel(`pq4:${M2}:${higherIsBetter}:${relaxedSimd}`, () => pq4ScanModuleBytes(M2, higherIsBetter, relaxedSimd));
    this.scanFn = new WebAssembly.Instance(kernel, env).exports.scan as Pq4Scanner['scanFn'];
    this.selectFn = new WebAssembly.Instance(compiledKernel('top16', top16ModuleBytes), env).exports.select as Pq4Scanner['selectFn'];
    this.layOutFor(100);
  }

  /** Codes the score buffer holds for k: room for many lists between selections, and for 2k kept plus a block. */
  private static bufferCodes(k: number): number {
    return Math.max(16384, 8 * k);
  }

  private headBytes(k: number): number {
    return round64(16 * this.M2) + round64(PQ4_RECORD_BYTES) + round64(pq4SplitBytes(this.M2)) + round64(2 * (Pq4Scanner.bufferCodes(k) + 32)) + 16 * k;
  }

  private ownBytes(k: number): number {
    return this.headBytes(k) + CHUNK_BLOCKS * this.blockBytes;
  }

  /** Places the head for k: a new head in the arena, or the start of the own memory (grown when short). */
  private layOutFor(k: number): void {
    let base = 0;
    if (this.arena) base = claimArenaHead(this.memory, this.headBytes(k)).start;
    else if (this.memory.buffer.byteLength < this.ownBytes(k)) this.memory.grow(Math.ceil((this.ownBytes(k) - this.memory.buffer.byteLength) / PAGE));
    const C = Pq4Scanner.bufferCodes(k);
    this.lutPtr = base;
    this.recPtr = this.lutPtr + round64(16 * this.M2);
    this.splitPtr = this.recPtr + round64(PQ4_RECORD_BYTES);
    this.bufPtr = this.splitPtr + round64(pq4SplitBytes(this.M2));
    this.candPtr = this.bufPtr + round64(2 * (C + 32));
    this.codesPtr = this.candPtr + 16 * k;
    this.capacity = C;
    this.laidOutFor = k;
    if (!this.arena) this.groupBytes = 0; // the own memory's group area lay behind the old head

    const { buffer } = this.memory;
    this.bytes = new Uint8Array(buffer);
    this.scores16 = new Uint16Array(buffer, this.bufPtr, C + 32);
    this.record = new Int32Array(buffer, this.recPtr, PQ4_RECORD_BYTES / 4);
    this.record[0] = this.lutPtr;
    this.candidates = new Int32Array(buffer, this.candPtr, 4 * k);
    this.keptLists = new Int32Array(2 * k);
    this.keptOffsets = new Int32Array(2 * k);
    this.candLists = new Int32Array(2 * k);
    this.candOffsets = new Int32Array(2 * k);
    this.order = new Int32Array(2 * k);
    this.byLowByte = new Int32Array(2 * k);
  }

  /**
   * The area of a grouped scan (several queries, each list scanned once for all the queries probing it), laid out
   * for its uint8 tables (lutBytes), its kernel records and its score regions (codes, 2 bytes each), and returned as
   * addresses and views. In the own memory, after the head and the codes chunk (grown when short). Call after
   * `prepare`.
   *
   * In an arena, two heads of its own: an arena cannot take back a head it outgrew, and a head written and left
   * behind stays resident. The score regions' head is claimed once, for the most codes a group may score
   * (`maxCodes`): pages claimed and never written cost no resident memory. The tables' head (a few hundred KB) is
   * claimed again, twice as large, when outgrown. Claimed as needed, one head for both had left every smaller area
   * behind, written: GloVe IVF1024,PQ50x4fsr, two threads, nprobe 8 to 128, the arena grew from 12 to 24 MB (9 of
   * them the lists), and to 34 MB with one head claimed for maxCodes but grown with the tables.
   */
  groupArea(lutBytes: number, records: number, codes: number, maxCodes: number): GroupArea {
    const tableBytes = round64(lutBytes) + round64(records * PQ4_RECORD_BYTES);
    if (this.arena) {
      let claimed = false;
      if (2 * codes > this.scoreBytes) {
        this.scoreBytes = round64(2 * Math.max(codes, maxCodes));
        this.scoreBase = claimArenaHead(this.memory, this.scoreBytes).start;
        claimed = true;
      }
      if (tableBytes > this.groupBytes) {
        this.groupBytes = Math.max(tableBytes, 2 * this.groupBytes);
        this.groupBase = claimArenaHead(this.memory, this.groupBytes).start;
        claimed = true;
      }
      if (claimed) this.bytes = new Uint8Array(this.memory.buffer);
    } else {
      const bytes = tableBytes + round64(2 * codes);
      if (bytes > this.groupBytes) {
        const size = Math.max(bytes, 2 * this.groupBytes);
        this.groupBase = round64(this.ownBytes(this.laidOutFor));
        const need = this.groupBase + size;
        if (this.memory.buffer.byteLength < need) this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / PAGE));
        this.groupBytes = size;
        this.bytes = new Uint8Array(this.memory.buffer);
      }
      this.scoreBase = this.groupBase + tableBytes;
    }
    const lut = this.groupBase;
    const recordsAt = lut + round64(lutBytes);
    const scores = this.scoreBase;
    return { lut, luts: this.bytes.subarray(lut, lut + lutBytes), recordsAt, records: new Int32Array(this.memory.buffer, recordsAt, (records * PQ4_RECORD_BYTES) / 4), scores };
  }

  /**
   * Scores the n codes of one list for the G queries whose kernel records lie at `records` (their tables, biases
   * and score addresses: groupArea's), each into its own region, the list's last partial block included exactly.
   */
  scanForGroup(blocks: Uint8Array, n: number, records: number, G: number): void {
    const nb = Math.ceil(n / 32);
    const last = n - 32 * (nb - 1);
    if (this.arena) {
      this.scanFn(blocks.byteOffset, nb, last, records, G, this.splitPtr, 0);
      return;
    }
    const { blockBytes } = this;
    for (let b0 = 0; b0 < nb; b0 += CHUNK_BLOCKS) {
      const nc = Math.min(CHUNK_BLOCKS, nb - b0);
      this.bytes.set(blocks.subarray(b0 * blockBytes, (b0 + nc) * blockBytes), this.codesPtr);
      this.scanFn(this.codesPtr, nc, b0 + nc === nb ? last : 32, records, G, this.splitPtr, b0 * 64);
    }
  }

  /** Lays the head out for k (before groupArea: the own memory's group area lies behind the head). */
  prepare(k: number): void {
    if (k > this.laidOutFor) this.layOutFor(k);
  }

  /**
   * Starts draining one query of a grouped scan: its n scores lie at `region` (a byte address in groupArea's scores);
   * addRun then names its lists' codes, and drainInto gives its k best.
   */
  beginRegion(k: number, region: number, n: number): void {
    this.begin(k);
    this.selPtr = region;
    this.n = n;
  }

  /** Makes luts[offset .. offset + 16·M2) the table the next scans use. */
  setLut(luts: Uint8Array, offset: number): void {
    this.bytes.set(luts.subarray(offset, offset + 16 * this.M2), this.lutPtr);
  }

  /** Starts a query keeping the k best (a larger k than the head was laid out for takes a larger head). */
  begin(k: number): void {
    // The views stay valid when the memory grows: it is shared (a SharedArrayBuffer keeps its length).
    if (k > this.laidOutFor) this.layOutFor(k);
    this.k = k;
    this.selPtr = this.bufPtr;
    this.n = 0;
    this.kept = 0;
    this.runs = 0;
  }

  /** Scores the n codes of list `list` (faiss's block layout) as bias + Σ table. */
  scan(blocks: Uint8Array, n: number, bias: number, list: number): void {
    const { blockBytes } = this;
    for (let done = 0; done < n; ) {
      if (this.capacity - this.n < 32) this.keepCandidates();
      // Whole blocks that fit the buffer (a list's last block writes its padding too, overwritten by the next list).
      let nb = Math.min(Math.ceil((n - done) / 32), (this.capacity - this.n) >> 5);
      let ptr = blocks.byteOffset + (done / 32) * blockBytes;
      if (this.arena === null) {
        nb = Math.min(nb, CHUNK_BLOCKS);
        this.bytes.set(blocks.subarray((done / 32) * blockBytes, (done / 32 + nb) * blockBytes), this.codesPtr);
        ptr = this.codesPtr;
      }
      this.addRun(this.n, list, done);
      this.record[1] = bias;
      this.record[2] = this.bufPtr + 2 * this.n;
      this.scanFn(ptr, nb, 32, this.recPtr, 1, this.splitPtr, 0);
      const real = Math.min(nb * 32, n - done);
      this.n += real;
      done += real;
    }
  }

  /** Buffer index `start` (and those after it, to the next run) holds entry `offset` of list `list` (and those after it). */
  addRun(start: number, list: number, offset: number): void {
    if (this.runs === this.runStart.length) {
      const grown = (a: Int32Array) => {
        const b = new Int32Array(2 * this.runs);
        b.set(a);
        return b;
      };
      this.runStart = grown(this.runStart);
      this.runList = grown(this.runList);
      this.runOffset = grown(this.runOffset);
    }
    this.runStart[this.runs] = start;
    this.runList[this.runs] = list;
    this.runOffset[this.runs++] = offset;
  }

  /**
   * Selects the candidates of the buffer (index order, into candidates) and finds their lists and offsets (candLists,
   * candOffsets: a walk along the runs, as the indexes grow); returns how many.
   */
  private select(): number {
    const m = this.selectFn(this.selPtr, this.n, this.k, this.candPtr);
    const { candidates, candLists, candOffsets, keptLists, keptOffsets, runStart, runList, runOffset, kept, runs } = this;
    let r = 0;
    for (let j = 0; j < m; j++) {
      const idx = candidates[2 * j];
      if (idx < kept) {
        candLists[j] = keptLists[idx];
        candOffsets[j] = keptOffsets[idx];
        continue;
      }
      while (r + 1 < runs && runStart[r + 1] <= idx) r++;
      candLists[j] = runList[r];
      candOffsets[j] = runOffset[r] + (idx - runStart[r]);
    }
    return m;
  }

  /** The buffer is full: its candidates (a superset of the k best so far) move to its front, the scan goes on behind. */
  private keepCandidates(): void {
    const m = this.select();
    const { candidates, scores16, candLists, candOffsets, keptLists, keptOffsets } = this;
    // Element by element, not keptLists.set(candLists.subarray(0, m)): a subarray is a heap object per call, and a
    // query at nprobe 128 fills the buffer dozens of times (139 KB of them per 1,000 queries).
    for (let j = 0; j < m; j++) {
      scores16[j] = candidates[2 * j + 1];
      keptLists[j] = candLists[j];
      keptOffsets[j] = candOffsets[j];
    }
    this.kept = m;
    this.n = m;
    this.runs = 0;
  }

  /**
   * The query's k best, best first (ties: the smaller index first), at [at, at + k) of scores (uint16 sums), lists
   * and offsets (0, −1 and −1: none).
   */
  drainInto(scores: Int32Array, lists: Int32Array, offsets: Int32Array, at: number): void {
    const m = this.select();
    const { candidates, candLists, candOffsets, k } = this;
    const order = this.bestFirst(m);
    const flip = this.higherIsBetter ? 0 : 65535;
    const kept = Math.min(k, m);
    for (let i = 0; i < kept; i++) {
      const j = order[i];
      scores[at + i] = flip ^ candidates[2 * j + 1];
      lists[at + i] = candLists[j];
      offsets[at + i] = candOffsets[j];
    }
    scores.fill(0, at + kept, at + k);
    lists.fill(-1, at + kept, at + k);
    offsets.fill(-1, at + kept, at + k);
    this.n = 0;
  }

  /**
   * Candidates 0 .. m by score, best first, ties in their (index) order: a stable counting sort. The candidates'
   * scores usually span a few hundred values (the k best lie close together), sorted in one pass over that many
   * buckets; wider spans take two passes over the low and the high byte (their 2 × 256 buckets alone cost about as
   * much as sorting 200 candidates in one pass).
   */
  private bestFirst(m: number): Int32Array {
    const { candidates, counts, byLowByte, order } = this;
    let best = 0;
    let worst = 65535;
    for (let j = 0; j < m; j++) {
      const s = candidates[2 * j + 1];
      if (s > best) best = s;
      if (s < worst) worst = s;
    }
    if (best - worst < NARROW_SPAN) {
      counts.fill(0, 0, best - worst + 2);
      for (let j = 0; j < m; j++) counts[best - candidates[2 * j + 1] + 1]++;
      for (let b = 1; b <= best - worst; b++) counts[b] += counts[b - 1];
      for (let j = 0; j < m; j++) order[counts[best - candidates[2 * j + 1]]++] = j;
      return order;
    }
    counts.fill(0, 0, 257);
    for (let j = 0; j < m; j++) counts[((best - candidates[2 * j + 1]) & 255) + 1]++;
    for (let b = 1; b < 256; b++) counts[b] += counts[b - 1];
    for (let j = 0; j < m; j++) byLowByte[counts[(best - candidates[2 * j + 1]) & 255]++] = j;
    counts.fill(0, 0, 257);
    for (let j = 0; j < m; j++) counts[((best - candidates[2 * j + 1]) >> 8) + 1]++;
    for (let b = 1; b < 256; b++) counts[b] += counts[b - 1];
    for (let i = 0; i < m; i++) {
      const j = byLowByte[i];
      order[counts[(best - candidates[2 * j + 1]) >> 8]++] = j;
    }
    return order;
  }
}

/** A grouped scan's area in the kernels' memory (Pq4Scanner.groupArea): addresses, and views to fill. */
export interface GroupArea {
  /** Where the uint8 tables go, and a view of them. */
  readonly lut: number;
  readonly luts: Uint8Array;
  /** The kernel records (PQ4_RECORD_BYTES each: table address, bias, score address), and a view of them. */
  readonly recordsAt: number;
  readonly records: Int32Array;
  /** Where the score regions start (2 bytes per code). */
  readonly scores: number;
}

/** Score spans sorted in one counting pass (buckets). */
const NARROW_SPAN = 1024;

const scanners = new ScannerCache<Pq4Scanner>();

/**
 * This thread's cached scanner for one even sub-quantizer count and direction: over the lists' arena when they lie
 * in one, else over a memory of its own.
 */
export function pq4Scanner(M2: number, higherIsBetter: boolean, arena?: { memory: WebAssembly.Memory }): Pq4Scanner {
  const key = `${M2}:${higherIsBetter}`;
  return scanners.get(key, arena, () => new Pq4Scanner(M2, higherIsBetter, arena?.memory ?? null));
}
