import { LibvqError, type Matrix } from '@libvq/index-core';

/**
 * How token states become one vector: 'cls' takes the first position (LibVQ's transformer towers),
 * 'mean' averages the unmasked positions, 'none' means the model already outputs one vector per row.
 */
export type Pooling = 'cls' | 'mean' | 'none';

export function checkPooling(p: unknown, name = 'pooling'): Pooling {
  if (p !== 'cls' && p !== 'mean' && p !== 'none') {
    throw new LibvqError('INVALID_ARGUMENT', `${name}: expected 'cls', 'mean' or 'none', got ${JSON.stringify(p)}`);
  }
  return p;
}

/** hidden is B x L x H row-major; returns the B x H states at position 0. */
export function poolCls(hidden: Float32Array, B: number, L: number, H: number): Matrix {
  const out = new Float32Array(B * H);
  for (let b = 0; b < B; b++) out.set(hidden.subarray(b * L * H, b * L * H + H), b * H);
  return { rows: B, dim: H, data: out };
}

/**
 * Mean of the states whose attention mask is 1 (accumulated in float64). A row with no real token
 * gives a zero vector, never NaN.
 */
export function poolMean(hidden: Float32Array, mask: Uint8Array, B: number, L: number, H: number): Matrix {
  const out = new Float32Array(B * H);
  const acc = new Float64Array(H);
  for (let b = 0; b < B; b++) {
    acc.fill(0);
    let count = 0;
    for (let t = 0; t < L; t++) {
      if (mask[b * L + t] === 0) continue;
      count++;
      const o = (b * L + t) * H;
      for (let h = 0; h < H; h++) acc[h] += hidden[o + h];
    }
    if (count > 0) for (let h = 0; h < H; h++) out[b * H + h] = acc[h] / count;
  }
  return { rows: B, dim: H, data: out };
}
