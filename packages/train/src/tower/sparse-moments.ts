import { LibvqError } from '@libvq/index-core';
import type { AdamW } from '../optim/adamw.js';
import { stateArray, type TowerState } from './types.js';

/**
 * An embedding table's AdamW moments in a checkpoint: only the rows that ever received a gradient
 * (`{prefix}.rows`, with their `{prefix}.m` / `{prefix}.v` rows, float32). Every other row's moments are zero, so
 * leaving them out is exact, and the full moments of a word-vector table would be hundreds of MB per checkpoint.
 */
export function sparseMomentArrays(opt: AdamW, rowSize: number, prefix: string): Record<string, Float32Array | Int32Array> {
  const { m, v } = opt;
  const rows: number[] = [];
  const n = m.length / rowSize;
  for (let r = 0; r < n; r++) {
    for (let j = r * rowSize; j < (r + 1) * rowSize; j++) {
      if (m[j] !== 0 || v[j] !== 0) {
        rows.push(r);
        break;
      }
    }
  }
  const cm = new Float32Array(rows.length * rowSize);
  const cv = new Float32Array(rows.length * rowSize);
  rows.forEach((r, i) => {
    cm.set(m.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
    cv.set(v.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
  });
  return { [`${prefix}.rows`]: Int32Array.from(rows), [`${prefix}.m`]: cm, [`${prefix}.v`]: cv };
}

/** Restores sparseMomentArrays' rows into a fresh optimiser's zero moments; `tower` names the owner in errors. */
export function restoreSparseMoments(opt: AdamW, rowSize: number, s: TowerState, prefix: string, tower: string): void {
  const rows = stateArray(s, `${prefix}.rows`, Int32Array, null, tower);
  const m = stateArray(s, `${prefix}.m`, Float32Array, rows.length * rowSize, tower);
  const v = stateArray(s, `${prefix}.v`, Float32Array, rows.length * rowSize, tower);
  const n = opt.m.length / rowSize;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!(r >= 0 && r < n)) throw new LibvqError('BAD_FILE', `${tower} state: ${prefix}.rows[${i}] = ${r}, expected a row in [0, ${n})`);
    opt.m.set(m.subarray(i * rowSize, (i + 1) * rowSize), r * rowSize);
    opt.v.set(v.subarray(i * rowSize, (i + 1) * rowSize), r * rowSize);
  }
}
