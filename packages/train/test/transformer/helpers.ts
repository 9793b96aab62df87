import { expect } from 'vitest';
import type { TokenBatch } from '@libvq/encoder';

/** Token rows of different lengths as one right-padded batch. */
export function batchOf(rows: number[][]): TokenBatch {
  const L = Math.max(...rows.map((r) => r.length));
  const inputIds = new Int32Array(rows.length * L);
  const attentionMask = new Uint8Array(rows.length * L);
  rows.forEach((r, b) => r.forEach((id, t) => {
    inputIds[b * L + t] = id;
    attentionMask[b * L + t] = 1;
  }));
  return { batchSize: rows.length, seqLength: L, inputIds, attentionMask };
}

/** Largest |a − b| (same lengths). */
export function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
