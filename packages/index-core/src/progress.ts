/**
 * A progress report: `done` of `total` units of the current stage (total 0: not known). `stage` names what is
 * running, so one callback can follow an operation of several stages (an OPQ,IVF,PQ index trains its rotation,
 * then its coarse quantizer, then its codebooks) and a caller can draw one bar per stage, switching when the
 * name changes. Every stage counts from its own start. The names the library reports:
 *
 * - 'opq': OPQ rotation training (alternating iterations)
 * - 'ivf': the IVF coarse quantizer's k-means (iterations)
 * - 'pq': PQ codebook training (sub-quantizers)
 * - 'kmeans': a k-means run on its own (iterations)
 * - 'transform': a transform of an IndexPreTransform chain that names no stage of its own
 * - 'add': adding vectors (rows)
 *
 * Other packages add their own (@libvq/train's fit: 'fit', in steps). Callbacks of two parameters still fit.
 */
export type ProgressCallback = (done: number, total: number, stage?: string) => void;

/** Options every long operation takes: a way to stop it and a way to watch it. */
export interface LongOperationOptions {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/**
 * `onProgress` with every report relabelled `stage`: a building block's reports (k-means inside IVF training)
 * are reported as the stage of the operation that runs it. undefined stays undefined (nothing to call).
 */
export function reportAs(onProgress: ProgressCallback | undefined, stage: string): ProgressCallback | undefined {
  return onProgress && ((done, total) => onProgress(done, total, stage));
}
