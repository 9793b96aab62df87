import { expect } from 'vitest';
import { IndexIVF, IndexPreTransform, type Index, type SearchResult } from '../../src/index.js';

export interface FaissSearch {
  D: number[];
  I: number[];
}

export function ivfOf(index: Index): IndexIVF | null {
  const inner = index instanceof IndexPreTransform ? index.index : index;
  return inner instanceof IndexIVF ? inner : null;
}

/**
 * Labels must be identical rank by rank, except inside a group of *exactly* equal faiss distances (two
 * vectors with the same PQ code in the same list score bit-identically; faiss's heap and our top-k order
 * such ties differently). Inside a tie group the label sets must match; a tie group cut by rank k cannot
 * be compared (either side may have kept a different member), so only its distances are checked.
 * Distances must agree to 1e-4 relative (different float summation orders).
 */
export function expectSameResults(ours: SearchResult, theirs: FaissSearch, k: number, what: string): void {
  expect(ours.labels.length, what).toBe(theirs.I.length);
  for (let i = 0; i < theirs.D.length; i++) {
    if (theirs.I[i] === -1) {
      // padding (fewer results than k): faiss pads with ±FLT_MAX, we with ±Infinity
      expect(Number(ours.labels[i]), `${what}: result ${i} should be padding`).toBe(-1);
      continue;
    }
    const a = ours.distances[i];
    const b = theirs.D[i];
    if (Math.abs(a - b) > 1e-4 * Math.max(1, Math.abs(b))) throw new Error(`${what}: distance ${i} is ${a}, faiss ${b}`);
  }
  const nq = theirs.I.length / k;
  for (let q = 0; q < nq; q++) {
    for (let s = q * k; s < (q + 1) * k; ) {
      let e = s + 1;
      while (e < (q + 1) * k && theirs.D[e] === theirs.D[s]) e++;
      const mine = Array.from(ours.labels.subarray(s, e), Number);
      const ref = theirs.I.slice(s, e);
      // A group reaching rank k may continue past it: faiss keeps the first-scanned of equal scores,
      // we the smallest id, so only the (already checked) distances must agree there.
      if (e === (q + 1) * k) break;
      if (e - s === 1) expect(mine[0], `${what}: query ${q}, rank ${s - q * k}`).toBe(ref[0]);
      else expect(mine.sort((x, y) => x - y), `${what}: query ${q}, tie at ranks ${s - q * k}..${e - 1 - q * k}`).toEqual(ref.sort((x, y) => x - y));
      s = e;
    }
  }
}
