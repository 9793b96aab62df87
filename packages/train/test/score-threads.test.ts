import { describe, expect, it } from 'vitest';
import { scoreRows, scoreRowsBackward } from '../src/grad/score.js';
import { scoreRowsBackwardThreaded, scoreRowsThreaded } from '../src/grad/score-threads.js';

// The training step's score kernels split over index threads must give the one-thread bytes (each row is computed
// by the same loop whatever thread takes it), forward and backward, for both metrics.
function rand(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  });
}
const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('score kernels on threads', () => {
  const B = 64;
  const N = 320;
  const d = 64; // B·N·d above the threshold below which a call stays on one thread
  const a = rand(B * d, 1);
  const b = rand(N * d, 2);
  const G = rand(B * N, 3);
  it.each(['ip', 'l2'] as const)('%s: scores, dA and dB on 2 and 3 threads equal one thread, byte for byte', (metric) => {
    const one = scoreRows(a, B, b, N, d, metric, new Float64Array(B * N));
    const dA1 = rand(B * d, 4); // the backward accumulates into what is there
    const dB1 = rand(N * d, 5);
    scoreRowsBackward(a, B, b, N, d, metric, G, 0.7, dA1, dB1);
    for (const threads of [2, 3]) {
      expect(bytes(scoreRowsThreaded(a, B, b, N, d, metric, new Float64Array(B * N), threads)).equals(bytes(one))).toBe(true);
      const dA = rand(B * d, 4);
      const dB = rand(N * d, 5);
      scoreRowsBackwardThreaded(a, B, b, N, d, metric, G, 0.7, dA, dB, threads);
      expect(bytes(dA).equals(bytes(dA1))).toBe(true);
      expect(bytes(dB).equals(bytes(dB1))).toBe(true);
    }
    // and the one-thread kernel against float64 sums written out here (an independent oracle for a few entries)
    for (const [i, j] of [[0, 0], [5, 77], [63, 319]]) {
      let s = 0;
      for (let k = 0; k < d; k++) s += metric === 'ip' ? a[i * d + k] * b[j * d + k] : -((a[i * d + k] - b[j * d + k]) ** 2);
      expect(one[i * N + j]).toBeCloseTo(s, 12);
    }
  });
});
