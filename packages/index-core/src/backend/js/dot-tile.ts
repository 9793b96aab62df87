/**
 * The one dense inner-product micro-kernel of the js backend: out[i*m + j] = <x_i, y_j> for a tile of
 * rows x[i0, i1) and y[j0, j1). Four y rows share each load of x (register blocking), which is what
 * makes plain JS reach a useful fraction of the machine's scalar FLOP rate.
 */
export function dotTile(
  x: Float32Array,
  y: Float32Array,
  dim: number,
  i0: number,
  i1: number,
  j0: number,
  j1: number,
  out: Float32Array,
  outStride: number,
  outRow0: number,
  outCol0: number,
): void {
  for (let i = i0; i < i1; i++) {
    const xo = i * dim;
    const orow = (i - i0 + outRow0) * outStride + outCol0 - j0;
    let j = j0;
    for (; j + 3 < j1; j += 4) {
      const y0 = j * dim;
      const y1 = y0 + dim;
      const y2 = y1 + dim;
      const y3 = y2 + dim;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let t = 0; t < dim; t++) {
        const xv = x[xo + t];
        a0 += xv * y[y0 + t];
        a1 += xv * y[y1 + t];
        a2 += xv * y[y2 + t];
        a3 += xv * y[y3 + t];
      }
      out[orow + j] = a0;
      out[orow + j + 1] = a1;
      out[orow + j + 2] = a2;
      out[orow + j + 3] = a3;
    }
    for (; j < j1; j++) {
      const yo = j * dim;
      let a = 0;
      for (let t = 0; t < dim; t++) a += x[xo + t] * y[yo + t];
      out[orow + j] = a;
    }
  }
}

/** Squared L2 norm of every row. */
export function rowNormsSq(data: Float32Array, rows: number, dim: number): Float32Array {
  const out = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const o = i * dim;
    let s = 0;
    for (let t = 0; t < dim; t++) s += data[o + t] * data[o + t];
    out[i] = s;
  }
  return out;
}

/**
 * Visits x × y in tiles of scores: calls visit(i0, i1, j0, j1, tile) where tile holds rows i0..i1 of
 * x against columns j0..j1 of y (row stride = j1 - j0). ip → dot products; l2 → ‖x − y‖² from norms.
 * Tiles are sized to stay in cache; nothing else is allocated per call.
 */
export function forEachScoreTile(
  x: Float32Array,
  xRows: number,
  y: Float32Array,
  yRows: number,
  dim: number,
  l2: boolean,
  visit: (i0: number, i1: number, j0: number, j1: number, tile: Float32Array) => void,
): void {
  const BX = 64;
  const BY = Math.max(64, Math.min(4096, Math.floor(262144 / Math.max(dim, 1))));
  const tile = new Float32Array(BX * BY);
  const xn = l2 ? rowNormsSq(x, xRows, dim) : null;
  const yn = l2 ? rowNormsSq(y, yRows, dim) : null;
  for (let j0 = 0; j0 < yRows; j0 += BY) {
    const j1 = Math.min(yRows, j0 + BY);
    const w = j1 - j0;
    for (let i0 = 0; i0 < xRows; i0 += BX) {
      const i1 = Math.min(xRows, i0 + BX);
      dotTile(x, y, dim, i0, i1, j0, j1, tile, w, 0, 0);
      if (xn !== null && yn !== null) {
        for (let i = i0; i < i1; i++) {
          const o = (i - i0) * w;
          const a = xn[i];
          for (let j = 0; j < w; j++) {
            const v = a + yn[j0 + j] - 2 * tile[o + j];
            tile[o + j] = v > 0 ? v : 0; // rounding can make tiny negatives; a distance is never < 0
          }
        }
      }
      visit(i0, i1, j0, j1, tile);
    }
  }
}
