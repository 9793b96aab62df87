import { knnRecall } from '@libvq/dataset';

/**
 * ANN fidelity against exact ground truth, with faiss's definitions (dataset's knnRecall):
 *  R@1      = share of queries whose true nearest neighbour is ranked first;
 *  10-R@100 = share of the true top-10 found in the returned top-100, averaged over queries.
 */
export function annRecall(labels: Int32Array | Float64Array | BigInt64Array, k: number, truth: Int32Array, truthK: number): { r1: number; r10at100: number } {
  const approx = { labels: labels, k };
  const exact = { labels: truth, k: truthK };
  return { r1: knnRecall(approx, exact, 1, 1), r10at100: knnRecall(approx, exact, 10, 100) };
}
