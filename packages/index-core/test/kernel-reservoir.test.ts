import { describe, expect, it } from 'vitest';
import { jsBackend } from '../src/backend/js/index.js';
import { KernelReservoir } from '../src/backend/js/kernel-reservoir.js';
import type { ListView, PackedLists, Probes } from '../src/backend/types.js';
import { FastScanPacking } from '../src/fastscan/fast-scan-packing.js';
import { packBlocks } from '../src/fastscan/pack-blocks.js';
import type { Metric } from '../src/metric.js';
import { createRng, type Rng } from '../src/random.js';
import { pq4Oracle } from './helpers/pq4-scan-digest.js';

/**
 * The js backend's scans (8-bit ADC and 4-bit fast-scan) keep their candidates in a reservoir in the kernel's memory (kernel-reservoir.ts),
 * compacted by quickselect. The oracle: every code scored in float32 in the kernel's order (bias, then the M table
 * entries one by one), ranked by (score, then smaller id), top k — exactly, ties included. The codes are drawn from
 * a few patterns so many scores tie, and the lists are long enough for many compactions.
 */
const KSUB = 16;

function f32Score(tables: Float32Array, q: number, M: number, code: Uint8Array, at: number, bias: number): number {
  let s = Math.fround(bias);
  for (let m = 0; m < M; m++) s = Math.fround(s + tables[(q * M + m) * KSUB + code[at + m]]);
  return s;
}

function oracleTopK(cands: { s: number; id: number }[], k: number, metric: Metric): { s: number; id: number }[] {
  return [...cands].sort((a, b) => (a.s !== b.s ? (metric === 'ip' ? b.s - a.s : a.s - b.s) : a.id - b.id)).slice(0, k);
}

function randomTables(rng: Rng, nq: number, M: number): Float32Array {
  // Quarter steps: sums of a few distinct values, so equal sums of different codes are common.
  return new Float32Array(nq * M * KSUB).map(() => Math.floor(rng.next() * 8) / 4 - 1);
}

describe('js ADC scans: the reservoir keeps exactly the k best by (score, id)', () => {
  for (const metric of ['ip', 'l2'] as const) {
    it.each([1, 7, 100, 300])(`flat adcScan, ${metric}, k = %i`, (k) => {
      const rng = createRng(11 + k);
      const M = 3;
      const n = 5000;
      const patterns = Array.from({ length: 40 }, () => Array.from({ length: M }, () => Math.floor(rng.next() * KSUB)));
      const codes = new Uint8Array(n * M);
      for (let i = 0; i < n; i++) codes.set(patterns[Math.floor(rng.next() * patterns.length)], i * M);
      const nq = 3;
      const tables = randomTables(rng, nq, M);
      const res = jsBackend.adcScan(tables, codes, n, M, KSUB, k, metric);
      for (let q = 0; q < nq; q++) {
        const want = oracleTopK(Array.from({ length: n }, (_, i) => ({ s: f32Score(tables, q, M, codes, i * M, 0), id: i })), k, metric);
        expect(Array.from(res.labels.subarray(q * k, (q + 1) * k))).toEqual(want.map((c) => c.id));
        expect(Array.from(res.distances.subarray(q * k, (q + 1) * k))).toEqual(want.map((c) => c.s));
      }
    });

    it(`ivfAdcScan over several lists, ${metric}: ids across lists, biases, padding past the entries probed`, () => {
      const rng = createRng(5);
      const M = 4;
      const nlist = 6;
      const sizes = new Int32Array([1200, 0, 700, 2500, 3, 900]);
      const codes = Array.from(sizes, (n) => new Uint8Array(n * M).map(() => Math.floor(rng.next() * 3)));
      // Ids not in list order (a shuffled id space), so ties broken by id differ from ties broken by position.
      let next = 0;
      const perm = Array.from({ length: sizes.reduce((a, b) => a + b, 0) }, (_, i) => i).sort(() => rng.next() - 0.5);
      const ids = Array.from(sizes, (n) => Float64Array.from({ length: n }, () => perm[next++] * 3 + 1));
      const lists: ListView = { sizes, codes, ids };
      const nq = 4;
      const nprobe = 3;
      const probes: Probes = {
        nprobe,
        lists: new Int32Array([3, 0, 5, 1, 2, -1, 4, 1, -1, 5, 3, 2]),
        bias: new Float32Array(nq * nprobe).map((_, i) => (i % 3) * 0.25),
      };
      const tables = randomTables(rng, nq, M);
      // The same ids back to back (ListView.flatIds), as an index hands them over: the same results.
      const offsets = new Int32Array(nlist + 1);
      for (let l = 0; l < nlist; l++) offsets[l + 1] = offsets[l] + sizes[l];
      const flat = new Float64Array(offsets[nlist]);
      ids.forEach((a, l) => flat.set(a, offsets[l]));
      for (const [k, view] of [1, 50, 2000].flatMap((k) => [[k, lists], [k, { ...lists, flatIds: { ids: flat, offsets } }]] as const)) {
        const res = jsBackend.ivfAdcScan(tables, view, probes, M, KSUB, k, metric);
        for (let q = 0; q < nq; q++) {
          const cands: { s: number; id: number }[] = [];
          for (let p = 0; p < nprobe; p++) {
            const l = probes.lists[q * nprobe + p];
            if (l < 0) continue;
            for (let i = 0; i < sizes[l]; i++) cands.push({ s: f32Score(tables, q, M, codes[l], i * M, probes.bias[q * nprobe + p]), id: ids[l][i] });
          }
          const want = oracleTopK(cands, k, metric);
          const labels = Array.from(res.labels.subarray(q * k, (q + 1) * k));
          expect(labels).toEqual([...want.map((c) => c.id), ...new Array(k - want.length).fill(-1)]);
          const pad = metric === 'ip' ? -Infinity : Infinity;
          expect(Array.from(res.distances.subarray(q * k, (q + 1) * k))).toEqual([...want.map((c) => c.s), ...new Array(k - want.length).fill(pad)]);
        }
      }
    });
  }
});

/**
 * Fast-scan over `sizes` lists of M = 6 codes drawn from 12 patterns (many equal sums, so the order of ties — probe
 * order, then position — is tested), each query probing nprobe of them (−1: none), against every code's uint16 sum
 * sorted stably. `wide`: M = 16 random codes and tables of 0..255, so the kept scores span more than 1,024 values
 * (the final sort's two-pass branch). `perProbe`: the table layouts to run, one per query (false) and one per
 * (query, probe) (true, l2 with residuals). The oracle is computed once per query at the largest k; a smaller k's
 * is its front (the padding starts where the codes end).
 */
function fastScanCases(title: string, sizes: number[], probeLists: Int32Array, nprobe: number, ks: number[], wide = false, perProbe = [false]): void {
  describe(title, () => {
    const M = wide ? 16 : 6;
    const rng = createRng(21);
    const patterns = Array.from({ length: 12 }, () => Array.from({ length: M }, () => Math.floor(rng.next() * 16)));
    const codes = sizes.map((n) => {
      const c = new Uint8Array(n * M);
      for (let i = 0; i < n; i++) c.set(wide ? Array.from({ length: M }, () => Math.floor(rng.next() * 16)) : patterns[Math.floor(rng.next() * patterns.length)], i * M);
      return c;
    });
    const arena = new FastScanPacking(M).of(1, new Int32Array(sizes), codes);
    const plain: PackedLists = { sizes: new Int32Array(sizes), blocks: codes.map((c, l) => packBlocks(c, sizes[l], M)) };
    const nq = probeLists.length / nprobe;
    // Multiples of 6 up to 234: sums past 255 (the selection reads both bytes), ties as common as with 0..39.
    const luts = new Uint8Array(nq * nprobe * M * 16).map(() => (wide ? Math.floor(rng.next() * 256) : Math.floor(rng.next() * 40) * 6));
    const bias = new Uint16Array(nq * nprobe).map((_, i) => (i % 2) * 7);
    const kMax = Math.max(...ks);
    const oracles = new Map<string, ReturnType<typeof pq4Oracle>[]>();
    const oracle = (metric: 'ip' | 'l2', lutPerProbe: boolean) => {
      const key = `${metric}:${lutPerProbe}`;
      if (!oracles.has(key)) oracles.set(key, Array.from({ length: nq }, (_, q) => pq4Oracle({ luts, codes, sizes, probeLists, bias, nprobe, M, lutPerProbe }, q, kMax, metric)));
      return oracles.get(key)!;
    };

    for (const metric of ['ip', 'l2'] as const) {
      for (const lutPerProbe of perProbe) {
        for (const [where, lists] of [['lists in an arena', arena], ['lists copied in', plain]] as const) {
          it.each(ks)(`${metric}, ${lutPerProbe ? 'a table per probe' : 'a table per query'}, ${where}, k = %i`, (k) => {
            expect(where === 'lists copied in' || arena.arena !== undefined).toBe(true);
            const tables = luts.subarray(0, nq * (lutPerProbe ? nprobe : 1) * M * 16);
            const res = jsBackend.pq4Scan(tables, lists, { nprobe, lists: probeLists, bias, lutPerProbe }, M, k, metric);
            const want = oracle(metric, lutPerProbe);
            for (let q = 0; q < nq; q++) {
              const got = Array.from({ length: k }, (_, j) => ({ s: res.scores[q * k + j], l: res.lists[q * k + j], r: res.offsets[q * k + j] }));
              expect(got).toEqual(want[q].slice(0, k));
            }
          });
        }
      }
    }
  });
}

fastScanCases(
  'js fast-scan: the selection of the stored scores keeps exactly the k best by (score, earlier code)',
  [2000, 37, 5000, 0, 1234, 64],
  new Int32Array([2, 0, 3, 4, 4, -1, 1, 5, 0, 2, 5, 1]),
  4,
  [1, 100, 3000],
);

// Queries probing more than 65,536 codes are scanned alone, through the scanner's buffer. 16,384 scores fit it at
// k ≤ 2,048 (8k beyond): these lists overflow it, within a list and between lists, so candidates are kept at its
// front (with their slots) and the scan goes on behind them.
fastScanCases(
  'js fast-scan: lists longer than the score buffer',
  [70_000, 30, 17_000],
  new Int32Array([0, 1, 2, 2, 0, -1]),
  3,
  [1, 100, 2500],
);

// Queries are scanned in groups, each list once for all the group's queries that probe it, into one score region per
// query: lists probed by many queries (the kernel's shared nibbles), sizes around a block of 32 (the last block's
// scores written exactly, in any order of lists), a list longer than one copied chunk (4,096 codes), regions that
// are not multiples of 32, and, among them, queries probing the 70,000-code list, scanned alone.
const groupedProbes = new Int32Array(
  Array.from({ length: 40 }, (_, q) => [q % 7, (q * 3 + 1) % 7 === q % 7 ? 6 : (q * 3 + 1) % 7, q % 10 === 3 ? 7 : q % 5 === 0 ? -1 : 8]).flat(),
);
fastScanCases('js fast-scan in groups of queries', [0, 1, 31, 32, 33, 700, 4100, 70_000, 5000], groupedProbes, 3, [1, 100, 3000], false, [false, true]);

fastScanCases('js fast-scan: kept scores spread over more than 1,024 values', [3000, 5000], new Int32Array([0, 1, 1, 0]), 2, [100, 4000], true);

describe('KernelReservoir: ties with the k-th score during a scan', () => {
  // A compaction during the scan keeps every entry tied with the k-th (the end of the query picks among them by id),
  // unless they would leave less than half the window free: with every score equal the scan must still get room,
  // or it would be handed no room at all and never advance.
  for (const [name, scoreOf] of [
    ['every score equal', () => 7],
    ['a few distinct scores', (e: number) => 5 + (e % 3)],
  ] as const) {
    it(`${name}: room after each compaction, and the k best by (score, smaller id) at the end`, () => {
      const k = 100;
      const memory = new WebAssembly.Memory({ initial: 1 });
      const res = new KernelReservoir(true);
      res.attach(memory, 0, KernelReservoir.capacityFor(k));
      const idOf = (slot: number) => (slot * 7919) % 10_007; // ids in no slot order: ties are not won by arrival
      res.begin(k, idOf);
      const i32 = new Int32Array(memory.buffer);
      const f32 = new Float32Array(memory.buffer);
      const all: { s: number; id: number }[] = [];
      let slot = 0;
      for (let round = 0; round < 6; round++) {
        const room = res.free();
        expect(room).toBeGreaterThanOrEqual(res.window >> 1);
        for (let j = 0; j < room; j++, slot++) {
          const e = res.count++;
          i32[2 * e] = slot;
          f32[2 * e + 1] = scoreOf(slot);
          all.push({ s: scoreOf(slot), id: idOf(slot) });
        }
      }
      const scores = new Float32Array(k);
      const ids = new Float64Array(k);
      res.drainInto(scores, ids, 0);
      const want = all.sort((a, b) => b.s - a.s || a.id - b.id).slice(0, k);
      expect(Array.from(ids)).toEqual(want.map((c) => c.id));
      expect(Array.from(scores)).toEqual(want.map((c) => c.s));
    });
  }
});
