import { getBackend } from '../backend/registry.js';
import { assignPoints } from '../kmeans.js';
import type { Matrix } from '../matrix.js';
import { trainSubspace } from '../product-quantizer.js';
import { eachChunk, rowsOf } from './index-jobs.js';
import type { AssignJob, PQTrainJob } from './protocol.js';

/** One thread's rows of a k-means assignment step. */
export function assignRows(j: AssignJob): void {
  const centroids: Matrix = { rows: j.centroids.length / j.dim, dim: j.dim, data: j.centroids };
  const backend = getBackend(j.backend);
  eachChunk(j, (r0, r1) => {
    const r = assignPoints(backend, rowsOf(j.x, j.dim, r0, r1), centroids, j.metric);
    j.labels.set(r.labels, r0);
    j.distances.set(r.distances, r0);
  });
}

/** One thread's PQ sub-spaces: each trained exactly as the single-thread loop trains it. */
export function trainSubspaces(j: PQTrainJob): void {
  const x: Matrix = { rows: j.x.length / j.d, dim: j.d, data: j.x };
  const dsub = j.d / j.M;
  const ksub = 1 << j.nbits;
  const size = ksub * dsub;
  const sub = new Float32Array(x.rows * dsub);
  eachChunk(j, (m) => {
    const book = j.codebooks.subarray(m * size, (m + 1) * size);
    const c = trainSubspace(x, m, dsub, ksub, sub, {
      niter: j.niter, maxPointsPerCentroid: j.maxPointsPerCentroid, seed: j.seed, backend: j.backend,
      init: j.hotStart ? { rows: ksub, dim: dsub, data: book } : undefined,
    });
    book.set(c);
  });
}
