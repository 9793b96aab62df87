import type { Metric } from '../../metric.js';
import type { PackedLists, Pq4Probes, Pq4Result } from '../types.js';
import { frontOr, threadScratch as scratch } from '../../scratch-arrays.js';
import { PQ4_RECORD_BYTES } from './wasm/pq4-scan-module.js';
import { type Pq4Scanner, pq4Scanner } from './wasm/pq4-scanner.js';

/**
 * Score budget of one grouped scan (codes; 2 bytes each, so a 4 MB area per thread): the queries of a group together
 * probe at most this many codes. The larger the group, the more queries share each list's scan, at the cost of a
 * score area that leaves the caches and memory per thread. GloVe IVF1024,PQ50x4fsr, time against session 24's code
 * (one query at a time) at nprobe 8 / 16 / 32: 2^18 codes 0.88 / 0.85 / 0.77; 2^20 0.81 / 0.79 / 0.72; 2^21
 * 0.82 / 0.76 / 0.67; 2^22 0.80 / 0.76 / 0.69 (machine noise ±5%).
 */
const GROUP_CODES = 1 << 21;
/** A query probing more codes than this is scanned alone, through the scanner's own buffer (which selects as it fills). */
const REGION_MAX = 1 << 16;

/**
 * 4-bit fast-scan over packed lists: per query, the top k of bias + Σ_m lut[m][code_m] (uint16 sums of uint8
 * tables) over the codes of its probed lists, on the WebAssembly SIMD kernel; ties keep the earlier code (probe
 * order, then position in the list).
 *
 * Queries are scanned in groups: consecutive queries whose probed codes fit GROUP_CODES get one score region each,
 * every probed list is scanned once for all the queries of the group that probe it (its blocks read once, their
 * nibbles split once: pq4-scan-module.ts), then each query selects its k best from its region. A query probing more
 * than REGION_MAX codes is scanned alone. Both give the same results.
 */
export function pq4Scan(luts: Uint8Array, lists: PackedLists, probes: Pq4Probes, M2: number, k: number, metric: Metric, into?: Pq4Result): Pq4Result {
  const lutSize = 16 * M2;
  const { nprobe, lutPerProbe } = probes;
  const nq = luts.length / (lutSize * (lutPerProbe ? nprobe : 1));
  const scanner = pq4Scanner(M2, metric === 'ip', lists.arena);
  const newI32 = (n: number) => new Int32Array(n);
  const out: Pq4Result = { scores: frontOr(into?.scores, nq * k, newI32), lists: frontOr(into?.lists, nq * k, newI32), offsets: frontOr(into?.offsets, nq * k, newI32) };
  const job: ScanJob = { luts, lists, probes, lutSize, k, scanner, out };
  const probed = scratch.i32('pq4 probed codes', nq);
  for (let q = 0; q < nq; q++) {
    let n = 0;
    for (let p = q * nprobe; p < (q + 1) * nprobe; p++) if (probes.lists[p] >= 0) n += lists.sizes[probes.lists[p]];
    probed[q] = n;
  }
  // Regions are whole multiples of 32 codes: the selection zeroes the scores past a region's end up to one.
  const regionOf = (q: number) => Math.ceil(probed[q] / 32) * 32;
  for (let q = 0; q < nq; ) {
    let end = q;
    let codes = 0;
    while (end < nq && probed[end] <= REGION_MAX && codes + regionOf(end) <= GROUP_CODES) codes += regionOf(end++);
    if (end === q) scanAlone(job, q++);
    else {
      scanGroup(job, q, end, probed, regionOf);
      q = end;
    }
  }
  return out;
}

interface ScanJob {
  readonly luts: Uint8Array;
  readonly lists: PackedLists;
  readonly probes: Pq4Probes;
  readonly lutSize: number;
  readonly k: number;
  readonly scanner: Pq4Scanner;
  readonly out: Pq4Result;
}

/** One query through the scanner's own buffer, list after list (it selects as the buffer fills). */
function scanAlone(job: ScanJob, q: number): void {
  const { luts, lists, probes, lutSize, k, scanner } = job;
  const { nprobe, lutPerProbe } = probes;
  scanner.begin(k);
  if (!lutPerProbe) scanner.setLut(luts, q * lutSize);
  for (let p = 0; p < nprobe; p++) {
    const qp = q * nprobe + p;
    const l = scannedList(job, qp);
    if (l < 0) continue;
    if (lutPerProbe) scanner.setLut(luts, qp * lutSize);
    scanner.scan(lists.blocks[l], lists.sizes[l], probes.bias === null ? 0 : probes.bias[qp], l);
  }
  drainQuery(job, q);
}

/**
 * Queries [q0, q1): each gets a score region, its lists laid out in probe order;
 * the probes are sorted by list, and each list is scanned once for the queries probing it; then each query drains.
 */
function scanGroup(job: ScanJob, q0: number, q1: number, probed: Int32Array, regionOf: (q: number) => number): void {
  const { luts, lists, probes, lutSize, k, scanner } = job;
  const { nprobe, lutPerProbe } = probes;
  const nlist = lists.sizes.length;
  const T = lutPerProbe ? nprobe : 1;
  const np = (q1 - q0) * nprobe;
  // Each query's region: its first code in the group's score area.
  const regionAt = scratch.i32('pq4 region starts', q1 - q0 + 1);
  regionAt[0] = 0;
  for (let q = q0; q < q1; q++) regionAt[q - q0 + 1] = regionAt[q - q0] + regionOf(q);
  scanner.prepare(k);
  const area = scanner.groupArea((q1 - q0) * T * lutSize, np, regionAt[q1 - q0], GROUP_CODES);
  area.luts.set(luts.subarray(q0 * T * lutSize, q1 * T * lutSize));
  // Each probe's first code in its query's region; probes sorted by list (a counting sort: stable, so a list's
  // queries keep their order).
  const start = scratch.i32('pq4 probe starts', np);
  const byList = scratch.i32('pq4 probes by list', np);
  const firstOf = scratch.i32('pq4 list firsts', nlist + 1).fill(0);
  for (let q = q0; q < q1; q++) {
    let at = regionAt[q - q0];
    for (let p = 0; p < nprobe; p++) {
      const i = (q - q0) * nprobe + p;
      const l = scannedList(job, q * nprobe + p);
      start[i] = at;
      if (l >= 0) {
        at += lists.sizes[l];
        firstOf[l + 1]++;
      }
    }
  }
  for (let l = 0; l < nlist; l++) firstOf[l + 1] += firstOf[l];
  const { records } = area;
  for (let i = 0; i < np; i++) {
    const qp = q0 * nprobe + i;
    const l = scannedList(job, qp);
    if (l < 0) continue;
    const r = firstOf[l]++;
    byList[r] = l;
    records[4 * r] = area.lut + (lutPerProbe ? i : Math.floor(i / nprobe)) * lutSize;
    records[4 * r + 1] = probes.bias === null ? 0 : probes.bias[qp];
    records[4 * r + 2] = area.scores + 2 * start[i];
  }
  const used = firstOf[nlist];
  for (let r = 0; r < used; ) {
    const l = byList[r];
    let e = r + 1;
    while (e < used && byList[e] === l) e++;
    scanner.scanForGroup(lists.blocks[l], lists.sizes[l], area.recordsAt + r * PQ4_RECORD_BYTES, e - r);
    r = e;
  }
  for (let q = q0; q < q1; q++) {
    const region = regionAt[q - q0];
    scanner.beginRegion(k, area.scores + 2 * region, probed[q]);
    for (let p = 0; p < nprobe; p++) {
      const l = scannedList(job, q * nprobe + p);
      if (l >= 0) scanner.addRun(start[(q - q0) * nprobe + p] - region, l, 0);
    }
    drainQuery(job, q);
  }
}

/** The list probe qp scans: −1 for none (an empty list or no list). */
function scannedList(job: ScanJob, qp: number): number {
  const l = job.probes.lists[qp];
  return l >= 0 && job.lists.sizes[l] > 0 ? l : -1;
}

/** The scanner's k best for query q, as score, list and offset, into the result. */
function drainQuery(job: ScanJob, q: number): void {
  job.scanner.drainInto(job.out.scores, job.out.lists, job.out.offsets, q * job.k);
}
