/**
 * Folds one row of a score tile (scores[offset .. offset + w), columns j0 .. j0 + w) into row i's running
 * minimum: the assignment step of every backend. Strict `<` keeps the lower column on ties, as a sequential
 * scan over the centroids would.
 */
export function foldRowMin(
  scores: Float32Array,
  offset: number,
  w: number,
  j0: number,
  i: number,
  distances: Float32Array,
  labels: Int32Array,
): void {
  let best = distances[i];
  let arg = labels[i];
  for (let j = 0; j < w; j++) {
    const v = scores[offset + j];
    if (v < best) {
      best = v;
      arg = j0 + j;
    }
  }
  distances[i] = best;
  labels[i] = arg;
}

/** foldRowMin for scores where higher is better (inner product): the running maximum, lower column on ties. */
export function foldRowMax(
  scores: Float32Array,
  offset: number,
  w: number,
  j0: number,
  i: number,
  best: Float32Array,
  labels: Int32Array,
): void {
  let b = best[i];
  let arg = labels[i];
  for (let j = 0; j < w; j++) {
    const v = scores[offset + j];
    if (v > b) {
      b = v;
      arg = j0 + j;
    }
  }
  best[i] = b;
  labels[i] = arg;
}
