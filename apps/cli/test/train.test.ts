import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sliceRows } from '@libvq/index-core/util';
import { writeVectors } from '@libvq/dataset';
import { describeLabelMining, planTraining } from '@libvq/train/fit';
import { LearnableIndex, autoTemperature, resolveFitOptions } from '@libvq/train';
import { registerTrain } from '../src/commands/train.js';
import { runLibvq } from './cli-runner.js';
import { bandedVectors } from './helpers/banded-vectors.js';

const root = mkdtempSync(join(tmpdir(), 'libvq-cli-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = 0;
});


function libvq(...args: string[]) {
  return runLibvq([registerTrain], args);
}

const d = 16;
const docs = bandedVectors(600, d, 3);
const queries = bandedVectors(80, d, 9);
const docsPath = join(root, 'docs.npy');
const qPath = join(root, 'q.npy');
beforeAll(async () => {
  await writeVectors(docsPath, docs);
  await writeVectors(qPath, queries);
});

// --scope and --neg as the library's defaults: left out, the training plan would choose them (see the defaults test)
const flags = ['--docs', docsPath, '--queries', qPath, '--factory', 'OPQ4,PQ4x6', '--loss', 'distill', '--epochs', '2', '--batch-size', '16', '--scope', 'batch', '--neg', '1', '--temperature', '0.1', '--lr-codebooks', '0.003', '--seed', '4'];

describe('libvq train', () => {
  it('writes a checkpoint equal to the library trained with the same options, with a progress bar', async () => {
    const out = join(root, 'ckpt');
    const r = await libvq('train', ...flags, '-o', out);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/training \[#+\] 100% 10\/10/);
    expect(r.out).toMatch(/OPQ4,PQ4x6 \(ip\): 2 epochs, 10 steps, tau 0\.100, loss .* -> .*ckpt/);
    expect(existsSync(join(out, 'index.faiss'))).toBe(true);
    // LibVQ's names for the same index (LearnableIndex.create maps them to OPQ4,PQ4x6 and ip); the options the
    // flags do not give are the library's defaults on both sides.
    const li = LearnableIndex.create({ docEmbeddings: docs, indexMethod: 'opq', subvectorNum: 4, subvectorBits: 6, distMode: 'ip', seed: 4 });
    li.fitSync({ queryEmbeddings: queries, docEmbeddings: docs, relData: null, lossMethod: 'distill', epochs: 2, batchSize: 16, temperature: 0.1, lr: { codebooks: 0.003 }, seed: 4 });
    const back = LearnableIndex.load(out);
    const q = sliceRows(queries, 0, 20);
    expect(back.searchSync(q, { k: 10 }).labels).toEqual(li.searchSync(q, { k: 10 }).labels);
    expect(Array.from(back.parts.codebooks!.data)).toEqual(Array.from(li.parts.codebooks!.data));
  });

  it("the defaults: scope, batch, negatives and epochs from the training plan for the corpus (said in the output), the rest the library's (resolveFitOptions)", async () => {
    const out = join(root, 'defaults');
    const r = await libvq('train', '--docs', docsPath, '--queries', qPath, '--factory', 'OPQ4,PQ4x6', '-o', out);
    expect(r.code, r.err).toBe(0);
    const plan = planTraining({ documents: docs.rows, trainingQueries: queries.rows, epochs: resolveFitOptions({}).epochs });
    expect(plan.docScope).toBe('corpus'); // 600 documents
    expect(r.err).toContain(`training plan for 600 documents and 80 training queries: --scope corpus, --batch-size 32, --epochs ${plan.epochs}`);
    expect(r.err).toContain(plan.reasons[0]);
    const li = LearnableIndex.fromFactory({ docEmbeddings: docs, factory: 'OPQ4,PQ4x6' });
    const rep = li.fitSync({ queryEmbeddings: queries, docEmbeddings: docs, docScope: plan.docScope, batchSize: plan.batchSize, epochs: plan.epochs });
    expect(r.out).toContain(`tau ${rep.temperature.toPrecision(3)},`);
    expect(rep.temperature).toBe(autoTemperature('ip', queries, docs, { seed: 1234 }));
    expect(Array.from(LearnableIndex.load(out).parts.codebooks!.data)).toEqual(Array.from(li.parts.codebooks!.data));
    // what is given wins over the plan, and is said to be given
    const given = await libvq('train', '--docs', docsPath, '--queries', qPath, '--factory', 'OPQ4,PQ4x6', '--scope', 'batch', '--epochs', '1', '-o', join(root, 'given'));
    expect(given.err).toContain('--scope batch (given), --batch-size 128, --neg 4, --epochs 1 (given)');
    const help = await libvq('train', '--help');
    const { lr } = resolveFitOptions({});
    for (const [flag, v] of [['--temperature <t>', '"auto"'], ['--lr-codebooks <x>', lr.codebooks], ['--lr-centroids <x>', lr.centroids], ['--lr-rotation <x>', lr.rotation]] as const) {
      expect(help.out.replace(/\s+/g, ' ')).toMatch(new RegExp(`${flag} .*?\\(default: ${v}\\)`));
    }
    for (const flag of ['--scope <s>', '--batch-size <n>', '--neg <n>', '--epochs <n>']) expect(help.out.replace(/\s+/g, ' ')).toMatch(new RegExp(`${flag} .*?\\(default: the training plan's`));
  });

  it("--metric cosine trains the L2norm,<factory> index on normalised embeddings, as the library does; not with a tower", async () => {
    const out = join(root, 'cosine');
    const r = await libvq('train', ...flags, '--metric', 'cosine', '--epochs', '1', '-o', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/L2norm,OPQ4,PQ4x6 \(cosine\): 1 epochs/);
    const li = LearnableIndex.create({ docEmbeddings: docs, indexMethod: 'opq', subvectorNum: 4, subvectorBits: 6, distMode: 'cosine', seed: 4 });
    li.fitSync({ queryEmbeddings: queries, docEmbeddings: docs, relData: null, epochs: 1, batchSize: 16, temperature: 0.1, lr: { codebooks: 0.003 }, seed: 4 });
    const back = LearnableIndex.load(out);
    expect(back.describe()).toBe('L2norm,OPQ4,PQ4x6');
    expect(Array.from(back.parts.codebooks!.data)).toEqual(Array.from(li.parts.codebooks!.data));
    const tower = await libvq('train', ...flags, '--metric', 'cosine', '--fix-emb', 'doc', '-o', join(root, 'x'));
    expect(tower.code).not.toBe(0);
    expect(tower.err).toMatch(/--metric cosine trains the index only: --fix-emb doc trains a tower/);
  });

  it('per-epoch checkpoints and --resume', async () => {
    const ck = join(root, 'run');
    const r1 = await libvq('train', ...flags, '--epochs', '1', '--checkpoint-dir', ck, '-o', join(root, 'one'));
    expect(r1.code).toBe(0);
    const r2 = await libvq('train', ...flags, '--checkpoint-dir', ck, '--resume', '-o', join(root, 'two'));
    expect(r2.code).toBe(0);
    expect(r2.err).toContain('resuming after epoch 1');
    expect(r2.out).toMatch(/1 epochs, 10 steps/);
  });

  it("--temperature auto fits tau to the teacher's score spread, as the library does", async () => {
    const r = await libvq('train', ...flags, '--temperature', 'auto', '--epochs', '1', '-o', join(root, 'auto'));
    expect(r.code).toBe(0);
    const tau = autoTemperature('ip', queries, docs, { seed: 4 });
    expect(r.out).toContain(`tau ${tau.toPrecision(3)},`);
  });

  it('--plot writes the training curve as SVG: one point per epoch', async () => {
    const plot = join(root, 'curve.svg');
    const r = await libvq('train', ...flags, '--plot', plot, '-o', join(root, 'plotted'));
    expect(r.code).toBe(0);
    const svg = readFileSync(plot, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('OPQ4,PQ4x6 (distill)');
    expect(svg.match(/aria-roledescription="point"/g)).toHaveLength(2); // --epochs 2
  });

  it('--label-search / --label-nprobe mine the virtual labels as the library does, and say how', async () => {
    const ivfFlags = ['--docs', docsPath, '--queries', qPath, '--factory', 'IVF8,PQ4x6', '--epochs', '1', '--temperature', '0.1', '--seed', '4'];
    const opts = { queryEmbeddings: queries, docEmbeddings: docs, relData: null, epochs: 1, temperature: 0.1, seed: 4 } as const;
    for (const [args, mining] of [
      [['--label-nprobe', '3'], { nprobe: 3 }],
      [['--label-search', 'exact', '--threads', '2'], { method: 'exact' }],
      [[], {}],
    ] as const) {
      const out = join(root, `labels-${args.join('')}`);
      const r = await libvq('train', ...ivfFlags, ...args, '-o', out);
      expect(r.code, r.err).toBe(0);
      const li = LearnableIndex.fromFactory({ factory: 'IVF8,PQ4x6', docEmbeddings: docs, seed: 4 });
      const plan = planTraining({ documents: docs.rows, trainingQueries: queries.rows, epochs: 1 });
      const rep = li.fitSync({ ...opts, docScope: plan.docScope, batchSize: plan.batchSize, labelMining: mining });
      const said = r.err.split('\n').find((l) => l.startsWith('virtual labels:'));
      expect(said).toBe(describeLabelMining(rep.labels!).replace(/in [0-9.]+ s/, said!.match(/in [0-9.]+ s/)![0]));
      expect(Array.from(LearnableIndex.load(out).parts.codebooks!.data)).toEqual(Array.from(li.parts.codebooks!.data));
    }
    const bad = await libvq('train', ...ivfFlags, '--label-nprobe', '9', '-o', join(root, 'x'));
    expect(bad.err).toMatch(/labelMining\.nprobe: expected 'auto' or an integer in \[1, 8\]/);
    const bad2 = await libvq('train', ...ivfFlags, '--label-nprobe', 'many', '-o', join(root, 'x'));
    expect(bad2.err).toContain('--label-nprobe must be an integer >= 1, got "many"');
  });

  it('refuses bad flags with a message naming them', async () => {
    const r = await libvq('train', ...flags, '--loss', 'kl', '-o', join(root, 'x'));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('--loss: expected one of distill, contras, got "kl"');
    const hot = await libvq('train', ...flags, '--temperature', 'hot', '-o', join(root, 'x'));
    expect(hot.code).not.toBe(0);
    expect(hot.err).toContain(`--temperature must be a number > 0 or 'auto', got "hot"`);
    const r2 = await libvq('train', '--factory', 'OPQ4,PQ4x6', '-o', join(root, 'x'));
    expect(r2.err).toContain('give --data DIR, or --docs and --queries');
    const libvqNames = await libvq('train', '--docs', docsPath, '--queries', qPath, '--factory', 'OPQ4,PQ4x6', '--method', 'opq', '-o', join(root, 'x'));
    expect(libvqNames.err).toMatch(/unknown option '--method'/);
    const flat = await libvq('train', '--docs', docsPath, '--queries', qPath, '--factory', 'Flat', '-o', join(root, 'x'));
    expect(flat.err).toMatch(/factory: expected a learnable index \(IVF, IVF-PQ or PQ, optionally after OPQ\), got "Flat"/);
  });
});
