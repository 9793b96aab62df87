import { mulABt } from '@libvq/index-core/util';
import { eachChunk, type RowRange } from '@libvq/index-core/util';

// One thread's share of a transformer's dense product (dense.ts splits it): rows of out = a · bᵀ taken from the
// shared counter, each row computed by the same SIMD kernel as on one thread, so any split gives the same bytes.

export interface GemmShare extends RowRange {
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly out: Float32Array;
  readonly cols: number;
  readonly k: number;
}

export function gemmRowsShare(j: GemmShare): void {
  const { a, b, out, cols, k } = j;
  const B = { rows: cols, dim: k, data: b };
  eachChunk(j, (r0, r1) => out.set(mulABt({ rows: r1 - r0, dim: k, data: a.subarray(r0 * k, r1 * k) }, B, 'js').data, r0 * cols));
}
