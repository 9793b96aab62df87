import { describe, expect, it } from 'vitest';
import { CORPUS_SCOPE_MAX_DOCUMENTS, planTraining } from '../src/fit.js';

describe('planTraining', () => {
  it('scores the whole corpus up to the limit, with the epochs asked (the Cranfield settings)', () => {
    const p = planTraining({ documents: 1400, trainingQueries: 1550, epochs: 10 });
    expect(p).toMatchObject({ docScope: 'corpus', batchSize: 32, perQueryNegNum: 0, virtualNegNum: 399, epochs: 10 });
    expect(p.reasons[0]).toContain('1400 documents');
    expect(planTraining({ documents: CORPUS_SCOPE_MAX_DOCUMENTS, trainingQueries: 10, epochs: 1 }).docScope).toBe('corpus');
  });

  it('above it: in-batch + hard negatives, epochs cut to the example budget (at least one), said in the reasons', () => {
    const p = planTraining({ documents: 60_229, trainingQueries: 54_894, epochs: 10 });
    expect(p).toMatchObject({ docScope: 'batch', batchSize: 128, perQueryNegNum: 4, epochs: 2 });
    expect(p.reasons.join('\n')).toMatch(/epochs 2 \(of 10 asked\): 54894 training queries x 2 epochs stays within 150000/);
    expect(planTraining({ documents: 10_000, trainingQueries: 1_000_000, epochs: 3 }).epochs).toBe(1);
    expect(planTraining({ documents: 10_000, trainingQueries: 1_000, epochs: 3 }).epochs).toBe(3);
    expect(planTraining({ documents: 10_000, trainingQueries: 1_000, epochs: 30, exampleBudget: 5_000 }).epochs).toBe(5);
  });

  it('a scope asked for wins over the corpus size', () => {
    expect(planTraining({ documents: 100, trainingQueries: 100, epochs: 2, docScope: 'batch' })).toMatchObject({ docScope: 'batch', batchSize: 128 });
    expect(planTraining({ documents: 1e6, trainingQueries: 100, epochs: 2, docScope: 'corpus' })).toMatchObject({ docScope: 'corpus', epochs: 2 });
  });

  it('refuses sizes that are not positive integers, naming them', () => {
    expect(() => planTraining({ documents: 0, trainingQueries: 1, epochs: 1 })).toThrow(/documents: expected a positive integer, got 0/);
    expect(() => planTraining({ documents: 1, trainingQueries: 1.5, epochs: 1 })).toThrow(/trainingQueries/);
    expect(() => planTraining({ documents: 1, trainingQueries: 1, epochs: 1, docScope: 'all' as 'batch' })).toThrow(/docScope/);
  });
});
