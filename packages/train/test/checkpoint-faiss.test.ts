import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sliceRows } from '@libvq/index-core/util';
import type { Matrix } from '@libvq/index-core';
import { LearnableIndex } from '../src/index.js';
import type { LearnableMethod } from '../src/index.js';
import { clustered } from './fixtures.js';

const d = 16;
const { docs, queries } = clustered(11, 400, 60, d);
const tmp = mkdtempSync(join(tmpdir(), 'libvq-ckpt-faiss-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Reads index.faiss with Debian's faiss (the independent oracle) and searches it. */
function faissSearch(indexPath: string, q: Matrix, k: number, nprobe: number): { labels: number[]; distances: number[] } {
  const qp = join(tmp, 'q.f32');
  writeFileSync(qp, q.data);
  const out = join(tmp, 'out.json');
  const py = [
    'import faiss, numpy as np, json',
    'faiss.omp_set_num_threads(1)',
    `index = faiss.read_index(${JSON.stringify(indexPath)})`,
    'try:',
    `    faiss.extract_index_ivf(index).nprobe = ${nprobe}`,
    'except Exception:',
    '    pass',
    `q = np.fromfile(${JSON.stringify(qp)}, dtype='float32').reshape(${q.rows}, ${q.dim})`,
    `D, I = index.search(q, ${k})`,
    `json.dump({'labels': I.ravel().tolist(), 'distances': D.ravel().tolist()}, open(${JSON.stringify(out)}, 'w'))`,
  ].join('\n');
  execFileSync('/usr/bin/python3', ['-c', py], { stdio: ['ignore', 'ignore', 'pipe'] });
  return JSON.parse(readFileSync(out, 'utf8'));
}

describe('checkpoint index.faiss', () => {
  for (const method of ['opq', 'pq', 'ivf_opq', 'ivf_pq', 'ivf'] as LearnableMethod[]) {
    it(`faiss reads a trained ${method} checkpoint and finds the same neighbours`, () => {
      const li = LearnableIndex.create({ docEmbeddings: docs, indexMethod: method, subvectorNum: 4, subvectorBits: 8, ivfCentersNum: 5, distMode: 'ip', seed: 3 });
      li.fitSync({ queryEmbeddings: queries, docEmbeddings: docs, relData: null, epochs: 1, batchSize: 16, perQueryNegNum: 3, temperature: 0.1, lr: { codebooks: 3e-3, centroids: 1e-3, rotation: 3e-3 }, seed: 2 });
      const dir = join(tmp, method);
      li.save(dir);
      const q = sliceRows(queries, 0, 20);
      const k = 10;
      const ours = li.searchSync(q, { k, nprobe: 5 });
      const theirs = faissSearch(join(dir, 'index.faiss'), q, k, 5);
      expect(theirs.labels).toEqual(Array.from(ours.labels, Number));
      for (let i = 0; i < theirs.distances.length; i++) expect(theirs.distances[i]).toBeCloseTo(ours.distances[i], 4);
      const back = LearnableIndex.load(dir);
      const again = back.searchSync(q, { k, nprobe: 5 });
      expect(again.labels).toEqual(ours.labels);
      expect(back.placer.parameters()).toEqual(li.placer.parameters());
    });
  }
});

describe('per-epoch checkpoints', () => {
  it('a run interrupted after epoch 1 and resumed ends byte-identical to an uninterrupted run', () => {
    const make = () => LearnableIndex.create({ docEmbeddings: docs, indexMethod: 'ivf_opq', subvectorNum: 4, subvectorBits: 4, ivfCentersNum: 5, distMode: 'ip', seed: 3 });
    const opts = {
      queryEmbeddings: queries, docEmbeddings: docs, relData: null, epochs: 3, batchSize: 16, perQueryNegNum: 3, temperature: 0.1,
      lr: { codebooks: 3e-3, centroids: 1e-3, rotation: 3e-3 }, centroidOptimizer: 'adamw', seed: 2,
    } as const;
    const full = make();
    const rep = full.fitSync(opts);
    expect(rep.epochs).toBe(3);

    const dir = join(tmp, 'resume');
    const ac = new AbortController();
    const cut = make();
    expect(() => cut.fitSync({ ...opts, checkpointDir: dir, signal: ac.signal, onEpochEnd: () => ac.abort() })).toThrow(/aborted/);
    const { index, state } = LearnableIndex.resume(dir);
    expect(state.epochsDone).toBe(1);
    const rest = index.fitSync({ ...opts, resumeFrom: state });
    expect(rest.epochs).toBe(2);
    expect(rest.steps).toBe(rep.steps);
    expect(Array.from(index.parts.codebooks!.data)).toEqual(Array.from(full.parts.codebooks!.data));
    expect(Array.from(index.parts.rotation!)).toEqual(Array.from(full.parts.rotation!));
    expect(Array.from(index.parts.centroids!)).toEqual(Array.from(full.parts.centroids!));
    const q = sliceRows(queries, 0, 20);
    expect(index.searchSync(q, { k: 10, nprobe: 5 }).labels).toEqual(full.searchSync(q, { k: 10, nprobe: 5 }).labels);
    expect(index.placer.parameters()).toEqual(full.placer.parameters());
    expect(() => LearnableIndex.resume(join(tmp, 'opq'))).toThrow(/not a training checkpoint/);
  });
});
