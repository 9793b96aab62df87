import { describe, expect, it } from 'vitest';
import { ProbedSlots, longestProbed } from '../src/backend/js/probed-slots.js';

/**
 * The slots a query's scan labels its candidates with: increasing in probe order then position (ties keep the
 * smaller slot), and mapped back to (list, position). Oracle: the list and position each slot was made from.
 */
function roundTrip(nprobe: number, longest: number, sizes: number[]): { firsts: number[]; shift: boolean } {
  const slots = new ProbedSlots(nprobe);
  slots.reset(longest);
  const firsts = sizes.map((n, i) => slots.add(100 + i, n));
  for (let i = 0; i < sizes.length; i++) {
    if (i > 0) expect(firsts[i]).toBeGreaterThanOrEqual(firsts[i - 1] + sizes[i - 1]);
    for (const pos of [0, 1, sizes[i] - 1].filter((r) => r >= 0 && r < sizes[i])) {
      const at = slots.find(firsts[i] + pos);
      expect(slots.listAt(at)).toBe(100 + i);
      expect(firsts[i] + pos - slots.firstSlotAt(at)).toBe(pos);
    }
  }
  // Shift mode: list i starts at i · 2^bits; back to back: each starts where the one before ended.
  return { firsts, shift: firsts.length > 1 && firsts[1] !== sizes[0] };
}

describe('probed slots', () => {
  it('lists start at multiples of a power of two when nprobe of them fit an int32', () => {
    const r = roundTrip(4, 70, [70, 1, 33, 64]);
    expect(r.shift).toBe(true);
    expect(r.firsts).toEqual([0, 128, 256, 384]); // 70 → 96 with the last block's padding → 2^7
  });

  it('lists follow each other when nprobe · 2^bits would pass 2^31 (a binary search maps slots back)', () => {
    const r = roundTrip(3, 2 ** 30, [5, 2 ** 29, 7]);
    expect(r.shift).toBe(false);
    expect(r.firsts).toEqual([0, 5, 5 + 2 ** 29]);
  });

  it('one list of 2^31 − 32 entries still fits (a flat index scanned as one list)', () => {
    const r = roundTrip(1, 2 ** 31 - 32, [2 ** 31 - 32]);
    expect(r.firsts).toEqual([0]);
  });

  it('longestProbed skips −1 probes and reads only the query\'s range', () => {
    const sizes = new Int32Array([10, 500, 3, 80]);
    expect(longestProbed(sizes, new Int32Array([1, 1, 0, -1, 3, 2]), 2, 3)).toBe(80);
    expect(longestProbed(sizes, new Int32Array([-1, -1]), 0, 2)).toBe(0);
  });
});
