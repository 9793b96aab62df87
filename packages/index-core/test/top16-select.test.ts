import { describe, expect, it } from 'vitest';
import { SHARED_MAX_PAGES } from '../src/backend/js/wasm/bytes.js';
import { top16ModuleBytes } from '../src/backend/js/wasm/top16-module.js';
import { createRng } from '../src/random.js';

/**
 * Fast-scan's selection kernel (top16-module.ts) against a sort: for n uint16 scores it must return, in index order,
 * a set holding the k best by (score, then smaller index) — all n when n ≤ 2k, else between k and 2k of them, and
 * exactly k when ties decide — with the scores read from the buffer. Scores past n are junk the kernel must ignore.
 */
const memory = new WebAssembly.Memory({ initial: 8, maximum: SHARED_MAX_PAGES, shared: true });
const select = new WebAssembly.Instance(new WebAssembly.Module(top16ModuleBytes()), { env: { memory } }).exports.select as (buf: number, n: number, k: number, out: number) => number;
const BUF = 64;
const OUT = 256 * 1024;

function run(scores: Uint16Array, k: number): { idx: number[]; s: number[] } {
  const u16 = new Uint16Array(memory.buffer, BUF, scores.length + 32);
  u16.set(scores);
  u16.fill(65535, scores.length); // junk past n: the best score there is
  const m = select(BUF, scores.length, k, OUT);
  const out = new Int32Array(memory.buffer, OUT, 2 * m);
  return { idx: Array.from({ length: m }, (_, j) => out[2 * j]), s: Array.from({ length: m }, (_, j) => out[2 * j + 1]) };
}

const rng = createRng(3);
const draws: Record<string, (n: number) => Uint16Array> = {
  uniform: (n) => Uint16Array.from({ length: n }, () => Math.floor(rng.next() * 65536)),
  'sums of 50 bytes': (n) => Uint16Array.from({ length: n }, () => { let s = 0; for (let m = 0; m < 50; m++) s += Math.floor(rng.next() * 256); return s; }),
  'narrow (ties)': (n) => Uint16Array.from({ length: n }, () => 1000 + Math.floor(rng.next() * 40)),
  'all equal': (n) => new Uint16Array(n).fill(7),
  'all 0': (n) => new Uint16Array(n),
  'all 65535': (n) => new Uint16Array(n).fill(65535),
  '0 or 65535': (n) => Uint16Array.from({ length: n }, () => (rng.next() < 0.03 ? 65535 : 0)),
  'mostly 65534, a few 65535': (n) => Uint16Array.from({ length: n }, () => (rng.next() < 0.01 ? 65535 : 65534)),
};

describe('top16 selection kernel: the k best of n uint16 scores', () => {
  for (const [name, draw] of Object.entries(draws)) {
    it(name, () => {
      for (const n of [0, 1, 5, 8, 31, 33, 200, 201, 1000, 3200, 5001, 20000]) {
        for (const k of [1, 3, 100, 700]) {
          const scores = draw(n);
          const got = run(scores, k);
          const want = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b).slice(0, k);
          const m = got.idx.length;
          if (n <= 2 * k) expect(m).toBe(n);
          else {
            expect(m).toBeGreaterThanOrEqual(k);
            expect(m).toBeLessThanOrEqual(2 * k);
          }
          for (let j = 0; j < m; j++) {
            expect(got.idx[j]).toBeLessThan(n);
            if (j > 0) expect(got.idx[j]).toBeGreaterThan(got.idx[j - 1]);
            expect(got.s[j]).toBe(scores[got.idx[j]]);
          }
          // A stable sort of the candidates by score gives the k best, ties by index.
          const order = got.idx.map((i, j) => ({ i, s: got.s[j] })).sort((a, b) => b.s - a.s);
          expect(order.slice(0, k).map((c) => c.i)).toEqual(want);
        }
      }
    });
  }
});
