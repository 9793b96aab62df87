import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sliceRows } from '@libvq/index-core/util';
import { writeVectors } from '@libvq/dataset';
import { LearnableIndex } from '@libvq/train';
import { versionsDirOf } from '@libvq/train/checkpoint';
import { registerTrain } from '../src/commands/train.js';
import { runLibvq } from './cli-runner.js';
import { bandedVectors } from './helpers/banded-vectors.js';

/** `libvq train --resume`: the same run or nothing (train-resume.ts); a finished, unexported run is exported. */
const root = mkdtempSync(join(tmpdir(), 'libvq-cli-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = 0;
});


const libvq = (...args: string[]) => runLibvq([registerTrain], args);
const d = 16;
const docs = bandedVectors(600, d, 3);
const queries = bandedVectors(80, d, 9);
const docsPath = join(root, 'docs.npy');
const qPath = join(root, 'q.npy');
const fewPath = join(root, 'few.npy');
beforeAll(async () => {
  await writeVectors(docsPath, docs);
  await writeVectors(qPath, queries);
  await writeVectors(fewPath, sliceRows(queries, 0, 40));
});

const base = ['--factory', 'OPQ4,PQ4x6', '--loss', 'distill', '--batch-size', '16', '--temperature', '0.1', '--lr-codebooks', '0.003', '--seed', '4'];
const flags = ['--docs', docsPath, '--queries', qPath, ...base];

/** A run saved after its first of 2 epochs. */
async function savedRun(name: string): Promise<string> {
  const ck = join(root, name);
  const r = await libvq('train', ...flags, '--epochs', '1', '--checkpoint-dir', ck, '-o', join(root, `${name}-one`));
  expect(r.code).toBe(0);
  return ck;
}

describe('libvq train --resume', () => {
  it('refuses options that differ from the saved run, naming each with both values; writes nothing', async () => {
    const ck = await savedRun('differ');
    const out = join(root, 'differ-out');
    const r = await libvq(
      'train', ...flags, '--epochs', '2', '--checkpoint-dir', ck, '--resume', '-o', out,
      '--factory', 'IVF4,PQ4x6', '--lr-codebooks', '0.001', '--seed', '5', '--loss', 'contras', '--labels', 'virtual', '--batch-size', '64',
    );
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`--resume: ${ck} was saved by a run with other options:`);
    for (const line of [
      "--factory: the checkpoint's run used OPQ4,PQ4x6, this command gives IVF4,PQ4x6",
      "--loss: the checkpoint's run used distill, this command gives contras",
      "--batch-size: the checkpoint's run used 16, this command gives 64",
      "--lr-codebooks: the checkpoint's run used 0.003, this command gives 0.001",
      "--seed: the checkpoint's run used 4, this command gives 5",
    ]) expect(r.err).toContain(line);
    expect(r.err).not.toMatch(/--labels:|--epochs:/); // virtual is what distill used; epochs may grow
    expect(existsSync(out)).toBe(false);
  });

  it('--batch-size 64 on a run saved with 16 is refused by name, not "step: expected an integer in [0, N), got N"; a fresh run with it trains', async () => {
    const ck = await savedRun('bs');
    const r = await libvq('train', ...flags, '--epochs', '2', '--batch-size', '64', '--checkpoint-dir', ck, '--resume', '-o', join(root, 'bs-out'));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("--batch-size: the checkpoint's run used 16, this command gives 64");
    expect(r.err).not.toContain('step: expected');
    const fresh = await libvq('train', ...flags, '--epochs', '2', '--batch-size', '64', '-o', join(root, 'bs-fresh'));
    expect(fresh.code).toBe(0);
    expect(fresh.out).toMatch(/2 epochs, 4 steps/); // ceil(80 / 64) = 2 batches per epoch
  });

  it('input files may move, but their shapes must match', async () => {
    const ck = await savedRun('moved');
    const moved = join(root, 'moved-docs.npy');
    copyFileSync(docsPath, moved);
    const few = await libvq('train', '--docs', moved, '--queries', fewPath, ...base, '--epochs', '2', '--checkpoint-dir', ck, '--resume', '-o', join(root, 'moved-x'));
    expect(few.code).not.toBe(0);
    expect(few.err).toContain("--queries: the checkpoint's run used 80 x 16, this command gives 40 x 16");
    const ok = await libvq('train', '--docs', moved, '--queries', qPath, ...base, '--epochs', '2', '--checkpoint-dir', ck, '--resume', '-o', join(root, 'moved-out'));
    expect(ok.code).toBe(0);
    expect(ok.err).toContain(`resuming after epoch 1 from ${ck}`);
  });

  it('a run killed after its last checkpoint, before -o was written, resumes straight into its export: the same files as the uninterrupted run', async () => {
    const ck = join(root, 'done');
    const first = join(root, 'done-first');
    const r1 = await libvq('train', ...flags, '--epochs', '2', '--checkpoint-dir', ck, '-o', first);
    expect(r1.code).toBe(0);
    const want = ['index.faiss', 'tensors.safetensors'].map((f) => readFileSync(join(first, f)));
    // what the kill leaves: the last epoch's checkpoint, no output
    rmSync(first);
    rmSync(versionsDirOf(first), { recursive: true });
    const out = join(root, 'done-out');
    const r2 = await libvq('train', ...flags, '--epochs', '2', '--checkpoint-dir', ck, '--resume', '-o', out);
    expect(r2.err).not.toMatch(/error/i);
    expect(r2.code).toBe(0);
    expect(r2.err).toContain(`the run saved in ${ck} has done all its 2 epochs: writing its output ${out}`);
    expect(r2.out).toMatch(/0 epochs, 10 steps/);
    expect(['index.faiss', 'tensors.safetensors'].map((f) => readFileSync(join(out, f)))).toEqual(want);
    // and fewer epochs than done is refused by name
    const r3 = await libvq('train', ...flags, '--epochs', '1', '--checkpoint-dir', ck, '--resume', '-o', join(root, 'done-x'));
    expect(r3.code).not.toBe(0);
    expect(r3.err).toContain(`--epochs 1: ${ck} has already done 2 epochs; give --epochs 2 or more`);
  });

  it('a checkpoint without a record of its command line (saved by the library): its index structure is still checked', async () => {
    const ck = join(root, 'lib');
    const ac = new AbortController();
    const li = LearnableIndex.create({ docEmbeddings: docs, indexMethod: 'opq', subvectorNum: 4, subvectorBits: 6, distMode: 'ip', seed: 4 });
    expect(() =>
      li.fitSync({ queryEmbeddings: queries, docEmbeddings: docs, relData: null, epochs: 2, batchSize: 16, perQueryNegNum: 7, temperature: 0.1, lr: { codebooks: 0.003 }, seed: 4, checkpointDir: ck, signal: ac.signal, onEpochEnd: () => ac.abort() }),
    ).toThrow(/aborted/);
    const pq = await libvq('train', ...flags, '--factory', 'PQ4', '--epochs', '2', '--checkpoint-dir', ck, '--resume', '-o', join(root, 'lib-x'));
    expect(pq.code).not.toBe(0);
    expect(pq.err).toContain("--factory: the checkpoint's run used OPQ4,PQ4x6, this command gives PQ4x8");
    const cosine = await libvq('train', ...flags, '--metric', 'cosine', '--epochs', '2', '--checkpoint-dir', ck, '--resume', '-o', join(root, 'lib-x'));
    expect(cosine.err).toContain("--factory: the checkpoint's run used OPQ4,PQ4x6, this command gives L2norm,OPQ4,PQ4x6");
    const same = await libvq('train', ...flags, '--epochs', '2', '--checkpoint-dir', ck, '--resume', '-o', join(root, 'lib-out'));
    expect(same.code).toBe(0);
    expect(same.err).toContain(`note: ${ck} has no record of the options that started its run`);
  });
});
