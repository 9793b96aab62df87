/**
 * The backend conformance suite (TensorFlow.js's lesson): every kernel of the `Backend` interface against
 * float64 brute force, with stated tolerances. Framework-agnostic — each case's run() throws on a mismatch —
 * so a backend written outside this package runs the very suite index-core's own backends pass, in any test
 * runner (`for (const c of backendConformanceCases(be)) it(c.name, c.run)`) or in plain code (checkBackend).
 */
import type { Backend } from '../backend/types.js';
import { denseCases } from './dense-cases.js';
import { fastScanCases } from './fast-scan-cases.js';
import { pqCases } from './pq-cases.js';
import type { ConformanceCase, ConformanceOptions, ConformanceReport } from './types.js';

const DEFAULT_REL_TOL = 1e-4;

/**
 * The suite's cases for `backend`: distances, knn (k = 7 and k = 1), assign, pqTables, adcScan, ivfAdcScan,
 * ivfFlatScan and pq4Scan (4-bit fast-scan, exact integer sums), each under 'ip' and 'l2' where it takes a metric. Data is generated (seeded) when a case runs.
 */
export function backendConformanceCases(backend: Backend, opts: ConformanceOptions = {}): ConformanceCase[] {
  const relTol = opts.relTol ?? DEFAULT_REL_TOL;
  if (!(relTol >= 0)) throw new RangeError(`relTol: expected a number ≥ 0, got ${String(opts.relTol)}`);
  return [...denseCases(backend, relTol), ...pqCases(backend, relTol), ...fastScanCases(backend)];
}

/** Runs every case on `backend` and reports, without throwing: a backend that conforms has no failures. */
export function checkBackend(backend: Backend, opts: ConformanceOptions = {}): ConformanceReport {
  const report: ConformanceReport = { passed: 0, failures: [] };
  for (const c of backendConformanceCases(backend, opts)) {
    try {
      c.run();
      report.passed++;
    } catch (e) {
      // A kernel that crashes fails its case too; its message is kept as thrown.
      report.failures.push({ name: c.name, message: e instanceof Error ? e.message : String(e) });
    }
  }
  return report;
}
