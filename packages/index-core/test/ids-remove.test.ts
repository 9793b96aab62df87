import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deserializeIndex, describeIndex, indexFactory, serializeIndex, type Index, type Metric } from '../src/index.js';
import { createRng, gatherRows, randomPermutation, sliceRows } from '../src/util.js';
import { structuredData } from './helpers/data.js';
import { expectSameResults } from './helpers/compare-faiss.js';
import { runFaiss } from './helpers/faiss.js';

/*
 * Custom ids (addWithIds) and remove for every index kind. The oracle: the same index built from the kept vectors
 * by position (plain add), whose labels mapped through the ids must be exactly what the id-carrying index returns.
 * Flat and PQ carry their ids as faiss's IndexIDMap does, and their files are IndexIDMap files faiss reads.
 */

const D = 8;
const N = 3000;
const xt = structuredData(3000, D, 21);
const xb = structuredData(N, D, 22);
const xq = structuredData(40, D, 23);
const KINDS: [string, Metric][] = [['Flat', 'l2'], ['PQ4x8', 'ip'], ['IVF16,PQ4x8', 'l2'], ['IVF8,Flat', 'ip'], ['OPQ4,PQ4x8', 'l2']];

// Unique ids in a shuffled order, spread up to 2^53 - 1.
const rng = createRng(7);
const ids = new Float64Array(N);
{
  const seen = new Set<number>();
  for (let i = 0; i < N; i++) {
    let v: number;
    do v = i === 0 ? 2 ** 53 - 1 : Math.floor(rng.next() * 2 ** 52) + (i % 3 === 0 ? 0 : 2 ** 52);
    while (seen.has(v));
    seen.add(v);
    ids[i] = v;
  }
}

function trained(desc: string, metric: Metric): Index {
  const index = indexFactory(D, desc, metric, undefined, { opq: { niter: 4 } });
  index.trainSync(xt, { seed: 4 });
  index.nprobe = 4;
  return index;
}

/** The index built over `rows` of xb by position: the oracle, its labels mapped through ids[rows[label]]. */
function expectMatchesOracle(withIds: Index, desc: string, metric: Metric, rows: Int32Array): void {
  const oracle = trained(desc, metric);
  oracle.addSync(gatherRows(xb, rows));
  const want = oracle.searchSync(xq, { k: 20 });
  const got = withIds.searchSync(xq, { k: 20 });
  expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
  expect(Array.from(got.labels)).toEqual(Array.from(want.labels, (l) => (l < 0 ? -1 : ids[rows[l]])));
  const probe = rows[rows.length >> 1];
  expect(Array.from(withIds.reconstruct(ids[probe]))).toEqual(Array.from(oracle.reconstruct(rows.length >> 1)));
}

describe('addWithIds and remove, every index kind', () => {
  for (const [desc, metric] of KINDS) {
    it(`${desc} ${metric}: custom ids come back from search; removed ids never do, the others keep theirs`, async () => {
      const index = trained(desc, metric);
      await index.addWithIds(sliceRows(xb, 0, 1000), ids.subarray(0, 1000));
      index.addSync(sliceRows(xb, 1000, N), ids.subarray(1000, N));
      const all = Int32Array.from({ length: N }, (_, i) => i);
      expectMatchesOracle(index, desc, metric, all);
      // Remove a third, in random order, plus ids that are not there (ignored).
      const gone = randomPermutation(N, createRng(8)).subarray(0, 1000);
      const removed = index.remove([...Array.from(gone, (i) => ids[i]), 12345, 2 ** 40 + 3]);
      expect(removed).toBe(1000);
      expect(index.ntotal).toBe(N - 1000);
      const goneSet = new Set(gone);
      const kept = Int32Array.from(all.filter((i) => !goneSet.has(i)));
      expectMatchesOracle(index, desc, metric, kept);
      expect(index.remove(Float64Array.of(ids[gone[0]]))).toBe(0);
      expect(() => index.reconstruct(ids[gone[0]])).toThrow(/is not in the index/);
      // The ids survive the faiss file (Flat and PQ: an IndexIDMap around them).
      const back = deserializeIndex(serializeIndex(index));
      expect(describeIndex(back)).toBe(describeIndex(index));
      expect(Array.from(back.searchSync(xq, { k: 20 }).labels)).toEqual(Array.from(index.searchSync(xq, { k: 20 }).labels));
      expect(() => index.remove([-1])).toThrow(/remove ids\[0\]: expected an integer id/);
    });
  }

  it('Flat and PQ without custom ids stay sequential: no IndexIDMap in their files, ids are positions', () => {
    const flat = indexFactory(D, 'Flat', 'l2');
    flat.addSync(sliceRows(xb, 0, 10));
    flat.addSync(sliceRows(xb, 10, 20), Float64Array.from({ length: 10 }, (_, i) => 10 + i));
    expect(Buffer.from(serializeIndex(flat)).subarray(0, 4).toString('latin1')).toBe('IxF2');
    flat.addSync(sliceRows(xb, 20, 21), [99]);
    expect(Buffer.from(serializeIndex(flat)).subarray(0, 4).toString('latin1')).toBe('IxMp');
  });
});

describe('IndexIDMap files and Debian faiss', () => {
  const dir = mkdtempSync(join(tmpdir(), 'libvq-idmap-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('faiss reads our IndexIDMap(Flat / PQ) files, finds what we find and re-writes the same bytes; we read faiss\'s', async () => {
    const files: string[] = [];
    const ours: Index[] = [];
    for (const [desc, metric] of [['Flat', 'l2'], ['PQ4x8', 'ip']] as const) {
      const index = trained(desc, metric);
      index.addSync(xb, ids);
      index.remove(ids.subarray(0, 500));
      const path = join(dir, `${desc}.faiss`);
      writeFileSync(path, serializeIndex(index));
      files.push(path);
      ours.push(index);
    }
    const k = 10;
    const got = await runFaiss<{ D: number[]; I: number[]; ntotal: number }[]>(
      `
res = []
for p in ${JSON.stringify(files)}:
    idx = faiss.read_index(p)
    Dd, Ii = idx.search(xq, ${k})
    faiss.write_index(idx, p + '.rewritten')
    res.append({'D': Dd.ravel().tolist(), 'I': Ii.ravel().tolist(), 'ntotal': int(idx.ntotal)})
m = faiss.IndexIDMap(faiss.IndexFlatIP(${D}))
m.add_with_ids(xb[:100], np.arange(100, dtype='int64') * 7 + 5)
faiss.write_index(m, ${JSON.stringify(join(dir, 'theirs.faiss'))})
Dd, Ii = m.search(xq, ${k})
res.append({'D': Dd.ravel().tolist(), 'I': Ii.ravel().tolist(), 'ntotal': int(m.ntotal)})
json.dump(res, open(OUT, 'w'))
`,
      { xq, xb },
    );
    files.forEach((p, i) => {
      expect(got[i].ntotal).toBe(N - 500);
      expectSameResults(ours[i].searchSync(xq, { k }), got[i], k, `faiss on ${p}`);
      expect(Buffer.compare(readFileSync(p), readFileSync(`${p}.rewritten`))).toBe(0);
    });
    const theirsPath = join(dir, 'theirs.faiss');
    const theirs = deserializeIndex(readFileSync(theirsPath));
    expect(theirs.ntotal).toBe(100);
    expectSameResults(theirs.searchSync(xq, { k }), got[2], k, 'our search of faiss\'s IndexIDMap');
    expect(Buffer.compare(Buffer.from(serializeIndex(theirs)), readFileSync(theirsPath))).toBe(0);
  });
});
