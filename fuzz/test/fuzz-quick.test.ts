import { describe, expect, it } from 'vitest';
import { formatReport } from '../src/report.js';
import { runFuzz } from '../src/run-fuzz.js';

// The CI share of the fuzz suite: a fixed seed and a fixed number of mutations of every seed file (faiss indexes,
// .npy, .fvecs, .memmap, Arrow file and stream, token files, TSV collections and qrels, checkpoints), each of
// which must end in a typed LibvqError or a correct read, within 20 s and 400 MB. The long run is `pnpm fuzz`.
describe('fuzz (quick, seed 20261204)', () => {
  it('every mutated input ends in a typed error or a correct result: no hang, crash, silent reshape or memory blow-up', async () => {
    const report = await runFuzz({ cases: 1000, seed: 20261204 });
    console.log(formatReport(report));
    const summary = report.failures.slice(0, 10).map((f) => `${f.verdict} ${f.target}: ${f.mutation}: ${f.detail}`);
    expect(summary).toEqual([]);
    for (const t of Object.values(report.byFormat)) expect(t.error + t.correct).toBe(t.tried);
    // Both outcomes occur for every format: a suite whose mutations never get past the reader (or never hit it) proves little.
    for (const [format, t] of Object.entries(report.byFormat)) {
      expect(t.error, `${format}: clean errors`).toBeGreaterThan(0);
      expect(t.correct, `${format}: correct reads`).toBeGreaterThan(0);
    }
  }, 600_000);
});
