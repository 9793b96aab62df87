import { invalidArgument } from './errors.js';

/** 'ip': inner product, higher is better. 'l2': squared Euclidean distance, lower is better. */
export type Metric = 'ip' | 'l2';

export function checkMetric(metric: unknown, name = 'metric'): Metric {
  if (metric !== 'ip' && metric !== 'l2') throw invalidArgument(name, "'ip' or 'l2'", metric);
  return metric;
}

/** faiss's METRIC_INNER_PRODUCT = 0, METRIC_L2 = 1. */
export function metricToFaiss(metric: Metric): number {
  return metric === 'ip' ? 0 : 1;
}
