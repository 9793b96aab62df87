import type { Matrix } from '../../matrix.js';
import type { Metric } from '../../metric.js';
import { type ScoreTiles, forEachScoreTile } from './dot-tile.js';

/** All x × y scores (ip: dot products; l2: squared distances), row-major, from a backend's score tiles. */
export function distancesOver(tiles: ScoreTiles, x: Matrix, y: Matrix, metric: Metric): Float32Array {
  const out = new Float32Array(x.rows * y.rows);
  const m = y.rows;
  tiles(x.data, x.rows, y.data, y.rows, x.dim, metric === 'l2', (i0, i1, j0, j1, tile) => {
    const w = j1 - j0;
    for (let i = i0; i < i1; i++) out.set(tile.subarray((i - i0) * w, (i - i0 + 1) * w), i * m + j0);
  });
  return out;
}

export function distances(x: Matrix, y: Matrix, metric: Metric): Float32Array {
  return distancesOver(forEachScoreTile, x, y, metric);
}
