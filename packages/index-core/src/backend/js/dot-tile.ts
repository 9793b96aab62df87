/**
 * The one dense inner-product micro-kernel of the js backend: out[(i - i0 + outRow0) * outStride +
 * outCol0 + j - j0] = <x_i, y_j> for rows x[i0, i1) and y[j0, j1). Register blocking: a 2×4 block of
 * accumulators shares each load of x and y (measured 5.6 GFLOP/s at d = 100 against 4.4 for 1×4).
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
  let i = i0;
  const j4 = j0 + ((j1 - j0) & ~3);
  for (; i + 1 < i1; i += 2) {
    const xa = i * dim;
    const xb = xa + dim;
    const oa = (i - i0 + outRow0) * outStride + outCol0 - j0;
    const ob = oa + outStride;
    for (let j = j0; j < j4; j += 4) {
      const y0 = j * dim;
      const y1 = y0 + dim;
      const y2 = y1 + dim;
      const y3 = y2 + dim;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      for (let t = 0; t < dim; t++) {
        const u = x[xa + t];
        const v = x[xb + t];
        const c0 = y[y0 + t];
        const c1 = y[y1 + t];
        const c2 = y[y2 + t];
        const c3 = y[y3 + t];
        a0 += u * c0;
        a1 += u * c1;
        a2 += u * c2;
        a3 += u * c3;
        b0 += v * c0;
        b1 += v * c1;
        b2 += v * c2;
        b3 += v * c3;
      }
      out[oa + j] = a0;
      out[oa + j + 1] = a1;
      out[oa + j + 2] = a2;
      out[oa + j + 3] = a3;
      out[ob + j] = b0;
      out[ob + j + 1] = b1;
      out[ob + j + 2] = b2;
      out[ob + j + 3] = b3;
    }
    for (let j = j4; j < j1; j++) {
      out[oa + j] = dot(x, xa, y, j * dim, dim);
      out[ob + j] = dot(x, xb, y, j * dim, dim);
    }
  }
  for (; i < i1; i++) {
    const xo = i * dim;
    const orow = (i - i0 + outRow0) * outStride + outCol0 - j0;
    for (let j = j0; j < j1; j++) out[orow + j] = dot(x, xo, y, j * dim, dim);
  }
}

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  let s = 0;
  for (let t = 0; t < dim; t++) s += a[ao + t] * b[bo + t];
  return s;
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
