import { invalidArgument } from './errors.js';

/**
 * The metric an index ranks by, as faiss stores it: 'ip' (inner product, higher is better) or 'l2' (squared
 * Euclidean distance, lower is better).
 */
export type Metric = 'ip' | 'l2';

/**
 * What the factory, LearnableIndex.create and the CLI accept: a Metric, or 'cosine'. faiss has no cosine metric
 * and neither does an index here: 'cosine' builds an 'L2norm' transform (NormalizationTransform) before an
 * inner-product index, which is how faiss does it and how the file stores it.
 */
export type MetricOrCosine = Metric | 'cosine';

/** The default metric everywhere (LibVQ's dist_mode default). */
export const DEFAULT_METRIC: Metric = 'ip';

export function checkMetric(metric: unknown, name = 'metric'): Metric {
  if (metric === 'ip' || metric === 'l2') return metric;
  if (metric === 'cosine') {
    // An index constructor cannot normalise its inputs; the factory builds the transform that does.
    throw invalidArgument(name, "'ip' or 'l2' (an index has no cosine metric: indexFactory(d, description, 'cosine') builds 'L2norm,<description>' with 'ip')", metric);
  }
  throw invalidArgument(name, "'ip' or 'l2'", metric);
}

export function checkMetricOrCosine(metric: unknown, name = 'metric'): MetricOrCosine {
  if (metric !== 'ip' && metric !== 'l2' && metric !== 'cosine') throw invalidArgument(name, "'ip', 'l2' or 'cosine'", metric);
  return metric;
}

/** faiss's METRIC_INNER_PRODUCT = 0, METRIC_L2 = 1. */
export function metricToFaiss(metric: Metric): number {
  return metric === 'ip' ? 0 : 1;
}
