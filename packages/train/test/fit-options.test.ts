import { describe, expect, it } from 'vitest';
import { DEFAULT_LR, resolveFitOptions } from '../src/index.js';
import type { Matrix } from '@libvq/index-core';

const m: Matrix = { rows: 1, dim: 2, data: new Float32Array(2) };
const base = { queryEmbeddings: m, docEmbeddings: m };

describe('resolveFitOptions: every default applied once, in one place', () => {
  it("LibVQ's defaults but the temperature ('auto') and the codebooks' rate (1e-3); fixed codes kept without a document tower", () => {
    expect(DEFAULT_LR).toEqual({ codebooks: 1e-3, centroids: 1e-3, rotation: 1e-4 });
    // The option fields alone resolve too (the CLI reads its defaults so).
    expect(resolveFitOptions({})).toEqual(resolveFitOptions(base));
    expect(resolveFitOptions(base)).toEqual({
      lossMethod: 'distill', epochs: 5, batchSize: 128, perQueryNegNum: 1, virtualNegNum: 399, temperature: 'auto',
      lr: { ...DEFAULT_LR }, centroidOptimizer: 'sgd', freeze: { centroids: false, codebooks: false, rotation: false },
      warmupRatio: 0.1, codeAssignment: 'fixed', docScope: 'batch', seed: 1234, writeBack: 'keep',
    });
  });

  it("a training document tower re-chooses codes and re-encodes; 'keep' is refused with it", () => {
    expect(resolveFitOptions(base, { docTower: true })).toMatchObject({ codeAssignment: 'nearest', writeBack: 'reencode' });
    expect(resolveFitOptions({ ...base, codeAssignment: 'nearest' })).toMatchObject({ writeBack: 'reencode' });
    expect(() => resolveFitOptions({ ...base, writeBack: 'keep' }, { docTower: true })).toThrow(/writeBack.*'reencode' when the document tower trains/);
  });

  it('names the bad option', () => {
    expect(() => resolveFitOptions({ ...base, epochs: 0 })).toThrow(/epochs.*a positive integer/);
    expect(() => resolveFitOptions({ ...base, temperature: -1 })).toThrow(/temperature.*a number > 0 or 'auto'/);
    expect(() => resolveFitOptions({ ...base, docScope: 'all' as never })).toThrow(/docScope/);
    expect(() => resolveFitOptions({ ...base, centroidOptimizer: 'adam' as never })).toThrow(/centroidOptimizer/);
    expect(() => resolveFitOptions({ ...base, lr: { codebooks: 1e-3 } }).lr).not.toThrow();
    expect(resolveFitOptions({ ...base, lr: { codebooks: 1e-3 } }).lr).toEqual({ ...DEFAULT_LR, codebooks: 1e-3 });
  });
});
