import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sliceRows } from '@libvq/index-core/util';
import { LearnableIndex } from '../src/index.js';
import { readAssignments } from '../src/learnable/structure.js';
import { clustered } from './fixtures.js';

/** Resuming per-epoch checkpoints: a finished run that was not exported, and a resume whose batches differ. */
const d = 16;
const nq = 60;
const { docs, queries } = clustered(13, 400, nq, d);
const tmp = mkdtempSync(join(tmpdir(), 'libvq-ck-resume-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const make = () => LearnableIndex.create({ docEmbeddings: docs, indexMethod: 'ivf_opq', subvectorNum: 4, subvectorBits: 4, ivfCentersNum: 5, distMode: 'ip', seed: 3 });
const opts = {
  queryEmbeddings: queries, docEmbeddings: docs, relData: null, epochs: 2, batchSize: 16, perQueryNegNum: 3, temperature: 0.1,
  lr: { codebooks: 3e-3, centroids: 1e-3, rotation: 3e-3 }, codeAssignment: 'nearest', writeBack: 'reencode', seed: 2,
} as const;

describe('resume', () => {
  it('a run stopped after its last checkpoint but before its write-back resumes straight into it, equal to the uninterrupted run', () => {
    const full = make();
    const rep = full.fitSync(opts);
    // The checkpointed run trains all epochs; its write-back happens after the last checkpoint, so the checkpoint
    // is exactly what a process killed before the write-back / export leaves.
    const dir = join(tmp, 'finished');
    make().fitSync({ ...opts, checkpointDir: dir });
    const { index, state } = LearnableIndex.resume(dir);
    expect(state.epochsDone).toBe(2);
    const rest = index.fitSync({ ...opts, resumeFrom: state });
    expect(rest.epochs).toBe(0);
    expect(rest.steps).toBe(rep.steps);
    const a = readAssignments(index.parts);
    const b = readAssignments(full.parts);
    expect(Array.from(a.lists!)).toEqual(Array.from(b.lists!)); // re-encoded: every document re-assigned ...
    expect(Array.from(a.codes!)).toEqual(Array.from(b.codes!)); // ... and re-encoded, as the full run did
    expect(index.placer.parameters()).toEqual(full.placer.parameters());
    const q = sliceRows(queries, 0, 20);
    expect(index.searchSync(q, { k: 10, nprobe: 5 }).labels).toEqual(full.searchSync(q, { k: 10, nprobe: 5 }).labels);
    // fewer epochs than done is still refused
    const again = LearnableIndex.resume(dir);
    expect(() => again.index.fitSync({ ...opts, epochs: 1, resumeFrom: again.state })).toThrow(/resumeFrom: expected a state with at most epochs = 1 epochs done, got 2/);
  });

  it('another batch size on resume is refused before the schedule runs past its total (was "step: expected an integer in [0, N), got N")', () => {
    const dir = join(tmp, 'bs');
    const ac = new AbortController();
    expect(() => make().fitSync({ ...opts, epochs: 3, checkpointDir: dir, signal: ac.signal, onEpochEnd: () => ac.abort() })).toThrow(/aborted/);
    const saved = Math.ceil(nq / 16); // every query has a virtual positive: ceil(60 / 16) = 4 batches per epoch
    const given = Math.ceil(nq / 64);
    const { index, state } = LearnableIndex.resume(dir);
    expect(state.step).toBe(saved);
    expect(() => index.fitSync({ ...opts, epochs: 3, batchSize: 64, resumeFrom: state })).toThrow(
      `resumeFrom: the saved run took ${saved} steps in 1 epochs (${saved} batches per epoch), these options give ${given} batches per epoch (batchSize 64 over ${nq} training queries)`,
    );
    // the same batch size resumes
    expect(index.fitSync({ ...opts, epochs: 3, resumeFrom: state }).steps).toBe(3 * saved);
  });
});
