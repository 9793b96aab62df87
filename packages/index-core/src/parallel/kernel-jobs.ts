import { getBackend } from '../backend/registry.js';
import { assignPoints } from '../kmeans.js';
import type { Matrix } from '../matrix.js';
import { trainSubspace } from '../product-quantizer.js';
import { rowsOf } from './index-jobs.js';
import type { AssignJob, PQTrainJob } from './protocol.js';

/** One thread's rows of a k-means assignment step. */
export function assignRows(j: AssignJob): void {
  if (j.r1 <= j.r0) return;
  const centroids: Matrix = { rows: j.centroids.length / j.dim, dim: j.dim, data: j.centroids };
  const r = assignPoints(getBackend(j.backend), rowsOf(j.x, j.dim, j.r0, j.r1), centroids, j.metric);
  j.labels.set(r.labels, j.r0);
  j.distances.set(r.distances, j.r0);
}

/** One thread's PQ sub-spaces [r0, r1): each trained exactly as the single-thread loop trains it. */
export function trainSubspaces(j: PQTrainJob): void {
  if (j.r1 <= j.r0) return;
  const x: Matrix = { rows: j.x.length / j.d, dim: j.d, data: j.x };
  const dsub = j.d / j.M;
  const ksub = 1 << j.nbits;
  const size = ksub * dsub;
  const sub = new Float32Array(x.rows * dsub);
  for (let m = j.r0; m < j.r1; m++) {
    const book = j.codebooks.subarray(m * size, (m + 1) * size);
    const c = trainSubspace(x, m, dsub, ksub, sub, {
      niter: j.niter, maxPointsPerCentroid: j.maxPointsPerCentroid, seed: j.seed, backend: j.backend,
      init: j.hotStart ? { rows: ksub, dim: dsub, data: book } : undefined,
    });
    book.set(c);
  }
}
