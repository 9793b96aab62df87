/**
 * Conformance cases of the 4-bit fast-scan kernel (pq4Scan) against exact integer sums: uint8 tables summed in
 * float64 are exact, so scores must match the reference exactly, rank by rank. Entries of equal score may come
 * in either order; each returned (list, offset) must exist, be returned once and score what was reported.
 * Shapes cover odd M (a zero-padded last sub-quantizer), lists of 1, 31, 32, 33 and 70 codes (partial blocks), an
 * empty list, a list number −1, shared and per-list tables, biases, and k beyond what the probes hold (padding).
 */
import type { Backend, PackedLists, Pq4Probes } from '../backend/types.js';
import { evenM, packBlocks } from '../fastscan/pack-blocks.js';
import type { Metric } from '../metric.js';
import { createRng, gaussian } from '../random.js';
import { expectSame, expectThat } from './check.js';
import { quantizePerListLuts, quantizeSharedLut } from './reference-luts.js';
import type { ConformanceCase } from './types.js';

const SIZES = [33, 0, 1, 70, 31, 32];

function pq4Case(be: Backend, metric: Metric, M: number, lutPerProbe: boolean, withBias: boolean): ConformanceCase {
  const name = `pq4Scan (${metric}, M = ${M}, ${lutPerProbe ? 'one table per list' : 'one table per query'}${withBias ? ', biases' : ''}) equals exact integer sums`;
  return {
    name,
    run() {
      const rng = createRng(M * 7 + (lutPerProbe ? 1 : 0) + (withBias ? 2 : 0) + (metric === 'ip' ? 4 : 0));
      const M2 = evenM(M);
      const nq = 4;
      const nprobe = 4;
      const codes = SIZES.map((n) => new Uint8Array(n * M).map(() => Math.floor(rng.next() * 16)));
      const lists: PackedLists = { sizes: new Int32Array(SIZES), blocks: codes.map((c, l) => packBlocks(c, SIZES[l], M)) };
      const T = lutPerProbe ? nprobe : 1;
      // Rows past M stay zero, as the table quantization leaves them; entries span the whole byte.
      const luts = new Uint8Array(nq * T * M2 * 16);
      for (let t = 0; t < nq * T; t++) for (let j = 0; j < M * 16; j++) luts[t * M2 * 16 + j] = Math.floor(rng.next() * 256);
      const probeLists = new Int32Array(nq * nprobe);
      for (let q = 0; q < nq; q++) probeLists.set(q === 1 ? [2, -1, 1, 4] : [(q + 3) % 6, q % 6, 1, (q + 5) % 6], q * nprobe);
      const bias = withBias ? new Uint16Array(nq * nprobe).map(() => Math.floor(rng.next() * 2000)) : null;
      const probes: Pq4Probes = { nprobe, lists: probeLists, bias, lutPerProbe };
      const k = 80; // query 1 probes 1 + 0 + 31 codes: padding must appear
      const res = be.pq4Scan(luts, lists, probes, M2, k, metric);
      const score = (q: number, p: number, l: number, r: number): number => {
        let s = bias ? bias[q * nprobe + p] : 0;
        const t = (lutPerProbe ? q * nprobe + p : q) * M2 * 16;
        for (let m = 0; m < M; m++) s += luts[t + m * 16 + codes[l][r * M + m]];
        return s;
      };
      for (let q = 0; q < nq; q++) {
        const all: number[] = [];
        const probeOf = new Map<number, number>();
        for (let p = 0; p < nprobe; p++) {
          const l = probeLists[q * nprobe + p];
          if (l < 0) continue;
          probeOf.set(l, p);
          for (let r = 0; r < SIZES[l]; r++) all.push(score(q, p, l, r));
        }
        all.sort((a, b) => (metric === 'ip' ? b - a : a - b));
        const seen = new Set<string>();
        for (let j = 0; j < k; j++) {
          const at = `${name} [query ${q}, rank ${j}]`;
          const o = q * k + j;
          if (j >= all.length) {
            expectSame(`${at} padding list`, res.lists[o], -1);
            continue;
          }
          expectSame(`${at} score`, res.scores[o], all[j]);
          const l = res.lists[o];
          const r = res.offsets[o];
          const p = probeOf.get(l);
          expectThat(`${at} entry`, p !== undefined && r >= 0 && r < SIZES[l] && !seen.has(`${l}:${r}`), `list ${l} offset ${r} is not a new entry of a probed list`);
          seen.add(`${l}:${r}`);
          expectSame(`${at} score of list ${l} offset ${r}`, score(q, p!, l, r), res.scores[o]);
        }
      }
    },
  };
}

/**
 * pq4Luts against the scalar float32 reference (reference-luts.ts, faiss's quantize_LUT_and_bias): every uint8 entry,
 * every uint16 bias, a and b bit for bit. Tables of several scales and offsets per row (negative ones included),
 * a row of equal entries, and, when `flat`, every entry equal (no spread: a = 1).
 */
function lutCase(be: Backend, M: number, nprobe: number, perProbe: boolean, withBias: boolean, flat = false): ConformanceCase {
  const name = `pq4Luts (M = ${M}, nprobe ${nprobe}, ${perProbe ? 'one table per list' : 'one table per query'}${withBias ? ', biases' : ''}${flat ? ', no spread' : ''}) equals faiss's quantization bit for bit`;
  return {
    name,
    run() {
      const rng = createRng(M * 13 + nprobe + (perProbe ? 1 : 0) + (withBias ? 2 : 0) + (flat ? 4 : 0));
      const nq = 5;
      const T = perProbe ? nprobe : 1;
      const M2 = evenM(M);
      const tables = new Float32Array(nq * T * M * 16);
      for (let r = 0; r < nq * T * M; r++) {
        const scale = flat ? 0 : r % 7 === 3 ? 0 : 10 ** Math.floor(rng.next() * 5 - 3);
        const shift = flat ? 0.25 : gaussian(rng) * 3;
        for (let j = 0; j < 16; j++) tables[r * 16 + j] = shift + scale * gaussian(rng);
      }
      const bias = withBias || perProbe ? new Float32Array(nq * nprobe).map(() => (flat ? 1 : gaussian(rng) * 2)) : null;
      const got = be.pq4Luts(tables, nq, M, M2, bias, nprobe, perProbe);
      const luts = new Uint8Array(nq * T * M2 * 16);
      const biasq = bias ? new Uint16Array(nq * nprobe) : null;
      expectSame(`${name}: table bytes`, got.luts.length, luts.length);
      expectSame(`${name}: has biases`, got.bias === null, biasq === null);
      for (let q = 0; q < nq; q++) {
        const ref = perProbe
          ? quantizePerListLuts(tables, q * nprobe * M * 16, M, 16, M2, bias!, q * nprobe, nprobe, luts, q * nprobe * M2 * 16, biasq!)
          : quantizeSharedLut(tables, q * M * 16, M, 16, M2, bias, q * nprobe, bias ? nprobe : 0, luts, q * M2 * 16, biasq);
        expectThat(`${name} [query ${q}] a`, Object.is(got.a[q], ref.a), `${got.a[q]}, expected ${ref.a}`);
        expectThat(`${name} [query ${q}] b`, Object.is(got.b[q], ref.b), `${got.b[q]}, expected ${ref.b}`);
      }
      for (let i = 0; i < luts.length; i++) if (got.luts[i] !== luts[i]) expectSame(`${name}: table byte ${i}`, got.luts[i], luts[i]);
      if (biasq) for (let i = 0; i < biasq.length; i++) if (got.bias![i] !== biasq[i]) expectSame(`${name}: bias ${i}`, got.bias![i], biasq[i]);
    },
  };
}

/** The fast-scan kernels' cases. */
export function fastScanCases(be: Backend): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const metric of ['ip', 'l2'] as const) {
    out.push(pq4Case(be, metric, 5, false, false), pq4Case(be, metric, 8, false, true), pq4Case(be, metric, 3, true, true), pq4Case(be, metric, 50, false, true));
  }
  out.push(
    lutCase(be, 8, 4, false, false),
    lutCase(be, 50, 16, false, true),
    lutCase(be, 5, 3, true, true),
    lutCase(be, 8, 1000, true, true),
    lutCase(be, 7, 4, false, true, true),
    lutCase(be, 7, 4, true, true, true),
  );
  return out;
}
