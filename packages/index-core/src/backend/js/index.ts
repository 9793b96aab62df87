import type { Backend } from '../types.js';
import { adcScan } from './adc-scan.js';
import { assign } from './assign.js';
import { distances } from './distances.js';
import { ivfAdcScan, ivfFlatScan } from './ivf-scan.js';
import { knn } from './knn.js';
import { pq4Luts } from './pq4-luts.js';
import { pq4Scan } from './pq4-scan.js';
import { pqTables } from './pq-tables.js';

/** The default backend: plain TypeScript on typed arrays. */
export const jsBackend: Backend = {
  name: 'js',
  distances,
  knn,
  assign,
  pqTables,
  adcScan,
  ivfAdcScan,
  ivfFlatScan,
  pq4Scan,
  pq4Luts,
};
