import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serializeIndex } from '@libvq/index-core';
import { LearnableIndex } from '../src/index.js';
import { planTraining } from '../src/fit.js';
import { clustered } from './fixtures.js';

// docScope 'batch' as the training plan sets it for large corpora (in-batch + 4 hard negatives from the virtual
// labels, batch 128), on a corpus small enough for a test: the run is a function of its seed.
describe("docScope 'batch' (the large-corpus plan)", () => {
  const { docs, queries } = clustered(11, 1200, 400, 16);
  const plan = planTraining({ documents: 60_000, trainingQueries: queries.rows, epochs: 2 });
  const create = (method: 'ivf_opq' | 'opq', threads = 1) =>
    LearnableIndex.create({ docEmbeddings: docs, indexMethod: method, ivfCentersNum: 16, subvectorNum: 4, subvectorBits: 6, distMode: 'ip', seed: 5, threads });
  const options = (seed: number) =>
    ({
      queryEmbeddings: queries, docEmbeddings: docs, relData: null, docScope: plan.docScope, batchSize: plan.batchSize,
      perQueryNegNum: plan.perQueryNegNum, virtualNegNum: plan.virtualNegNum, epochs: plan.epochs, seed,
    }) as const;
  const run = (seed: number, method: 'ivf_opq' | 'opq', threads = 1) => {
    const li = create(method, threads);
    const rep = li.fitSync(options(seed));
    return { bytes: Buffer.from(serializeIndex(li.index)), rep };
  };
  const tmp = mkdtempSync(join(tmpdir(), 'libvq-batch-scope-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.each(['ivf_opq', 'opq'] as const)('%s: the same seed gives the same index bytes; another seed another index', (method) => {
    expect(plan).toMatchObject({ docScope: 'batch', batchSize: 128, perQueryNegNum: 4 });
    const a = run(7, method);
    const b = run(7, method);
    const c = run(8, method);
    expect(a.rep.steps).toBe(plan.epochs * Math.ceil(queries.rows / plan.batchSize));
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.rep.epochLoss).toEqual(b.rep.epochLoss);
    expect(a.bytes.equals(c.bytes)).toBe(false);
    // the step's score kernels and the label search on 2 threads: the same run
    const t = run(7, method, 2);
    expect(t.bytes.equals(a.bytes)).toBe(true);
    expect(t.rep.epochLoss).toEqual(a.rep.epochLoss);
  });

  it('a run stopped after its first epoch and resumed from the checkpoint gives the uninterrupted run, byte for byte', () => {
    expect(plan.epochs).toBe(2);
    const full = run(7, 'ivf_opq');
    const dir = join(tmp, 'cut');
    const ac = new AbortController();
    expect(() => create('ivf_opq').fitSync({ ...options(7), checkpointDir: dir, signal: ac.signal, onEpochEnd: () => ac.abort() })).toThrow(/aborted/);
    const { index, state } = LearnableIndex.resume(dir);
    expect(state.epochsDone).toBe(1);
    const rest = index.fitSync({ ...options(7), resumeFrom: state });
    expect(rest.steps).toBe(full.rep.steps);
    expect(Buffer.from(serializeIndex(index.index)).equals(full.bytes)).toBe(true);
  });
});
