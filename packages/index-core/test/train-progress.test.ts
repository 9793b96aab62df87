import { describe, expect, it } from 'vitest';
import { IndexPreTransform, addBatches, checkTrainingSize, indexFactory, kmeans, serializeIndex, type Matrix, type VectorTransform } from '../src/index.js';
import { structuredData } from './helpers/data.js';

/** Every report as [stage, done, total]. */
function recorder(): { seen: [string | undefined, number, number][]; onProgress: (done: number, total: number, stage?: string) => void } {
  const seen: [string | undefined, number, number][] = [];
  return { seen, onProgress: (done, total, stage) => seen.push([stage, done, total]) };
}

/** The stage names in the order they first report, each once. */
const stagesOf = (seen: [string | undefined, number, number][]) => [...new Set(seen.map(([s]) => s))];

describe('progress reports name their stage', () => {
  const x = structuredData(600, 8, 4);

  it.each([
    // 'assign': IVF-PQ assigns its PQ training sample to the lists between the k-means and the codebooks
    ['OPQ4,IVF4,PQ4x4', ['opq', 'ivf', 'assign', 'pq']],
    ['IVF8,PQ2x4', ['ivf', 'assign', 'pq']],
    ['IVF8,Flat', ['ivf']],
    ['PQ4x4', ['pq']],
    ['Flat', []],
  ])('%s trains through stages %j, each counting to its own total', (factory, stages) => {
    const index = indexFactory(8, factory, 'l2');
    const r = recorder();
    index.trainSync(x, { seed: 2, onProgress: r.onProgress });
    expect(stagesOf(r.seen)).toEqual(stages);
    for (const stage of stages) {
      const mine = r.seen.filter(([s]) => s === stage);
      expect(mine.at(-1)![1]).toBe(mine.at(-1)![2]); // the stage finished: done = total
      // and it reported when it started (done = 0), so a bar shows it from then, not the previous stage's "100%"
      expect(mine[0][1]).toBe(0);
      // one contiguous run per stage: the callback's stage changes only when the next stage starts
      const first = r.seen.findIndex(([s]) => s === stage);
      expect(r.seen.slice(first, first + mine.length).every(([s]) => s === stage)).toBe(true);
    }
  });

  it('reporting changes nothing: the same seed trains the same bytes with or without a callback', () => {
    const a = indexFactory(8, 'OPQ4,IVF4,PQ4x4', 'l2');
    const b = indexFactory(8, 'OPQ4,IVF4,PQ4x4', 'l2');
    a.trainSync(x, { seed: 5 });
    b.trainSync(x, { seed: 5, onProgress: () => {} });
    a.addSync(x);
    b.addSync(x);
    expect(Buffer.from(serializeIndex(a)).equals(Buffer.from(serializeIndex(b)))).toBe(true);
  });

  it("k-means on its own reports 'kmeans'; adds report 'add'", async () => {
    const r = recorder();
    kmeans(x, 4, { niter: 3, onProgress: r.onProgress });
    expect(r.seen).toEqual([['kmeans', 0, 3], ['kmeans', 1, 3], ['kmeans', 2, 3], ['kmeans', 3, 3]]);
    const ivf = indexFactory(8, 'IVF4,Flat', 'l2');
    ivf.trainSync(x);
    const added = recorder();
    ivf.addSync(x, undefined, { onProgress: added.onProgress });
    expect(added.seen).toEqual([['add', 600, 600]]);
    const batches = recorder();
    async function* two(m: Matrix) {
      yield { rows: 300, dim: 8, data: m.data.subarray(0, 2400) };
      yield { rows: 300, dim: 8, data: m.data.subarray(2400) };
    }
    await addBatches(indexFactory(8, 'Flat', 'l2'), two(x), { total: 600, onProgress: batches.onProgress });
    expect(batches.seen).toEqual([['add', 300, 600], ['add', 600, 600]]);
    // The index's own reports within a batch reach the caller, counted over all batches, each count once.
    const big = structuredData(70_000, 8, 5);
    const within = recorder();
    async function* one(m: Matrix) {
      yield m;
    }
    await addBatches(ivf.cloneEmpty(), one(big), { total: 70_000, onProgress: within.onProgress });
    const counts = within.seen.map(([stage, done, total]) => (stage === 'add' && total === 70_000 ? done : NaN));
    expect(counts.length).toBeGreaterThan(1); // IVF's add reports its blocks of rows, before the batch ends
    expect(counts.every((c, i) => c > (counts[i - 1] ?? 0))).toBe(true);
    expect(counts.at(-1)).toBe(70_000);
  });

  it("a transform that names no stage reports as 'transform'", () => {
    // An identity transform whose training reports two steps without a stage name (a user's own transform).
    const identity: VectorTransform = {
      dIn: 8, dOut: 8, isTrained: false,
      train(_y, o) {
        o?.onProgress?.(1, 2);
        o?.onProgress?.(2, 2);
        (this as { isTrained: boolean }).isTrained = true;
      },
      apply: (y) => y,
      reverse: (y) => y,
      parameters: () => ({ kind: 'identity', dIn: 8, dOut: 8, matrix: new Float32Array(64), isTrained: identity.isTrained }),
      clone: () => identity,
    };
    const index = new IndexPreTransform([identity], indexFactory(8, 'IVF4,Flat', 'l2'));
    const r = recorder();
    index.trainSync(x, { seed: 1, onProgress: r.onProgress });
    expect(stagesOf(r.seen)).toEqual(['transform', 'ivf']);
    expect(r.seen.slice(0, 2)).toEqual([['transform', 1, 2], ['transform', 2, 2]]);
  });
});

describe('checkTrainingSize: what the stages need, before any runs', () => {
  it.each([
    ['IVF64,Flat', 63, /^IVF64,Flat: 63 training vectors for nlist = 64 IVF lists; need at least 64$/],
    ['IVF4,PQ4x8', 255, /^IVF4,PQ4x8: 255 training vectors for 256 PQ codewords per sub-quantizer \(nbits = 8\); need at least 256$/],
    ['OPQ4,IVF4,PQ4x4', 255, /^OPQ4,IVF4,PQ4x4: 255 training vectors for the OPQ rotation/],
  ])('%s refuses %i vectors', (factory, rows, message) => {
    const index = indexFactory(8, factory, 'l2');
    expect(() => checkTrainingSize(index, rows)).toThrow(message);
    expect(() => checkTrainingSize(index, rows + 1)).not.toThrow();
    try {
      checkTrainingSize(index, rows);
    } catch (e) {
      expect((e as { code: string }).code).toBe('INSUFFICIENT_DATA');
    }
  });

  it('counts only the stages train() will run: a trained coarse quantizer or rotation needs no rows', () => {
    const x = structuredData(300, 8, 2);
    const index = indexFactory(8, 'OPQ4,IVF64,Flat', 'l2');
    expect(() => checkTrainingSize(index, 100)).toThrow(/OPQ rotation/);
    index.trainSync(x);
    expect(() => checkTrainingSize(index, 1)).not.toThrow();
    expect(() => checkTrainingSize(indexFactory(8, 'Flat', 'l2'), 0)).not.toThrow();
  });
});
