import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IndexPreTransform, OPQMatrix, deserializeIndex, describeIndex, indexFactory, readIndexSync, serializeIndex, writeIndexSync, type Index, type SearchResult, type Metric,
} from '../src/index.js';
import { sliceRows } from '../src/util.js';
import { structuredData } from './helpers/data.js';
import { type FaissSearch, expectSameResults, ivfOf } from './helpers/compare-faiss.js';
import { type FaissOnFile, faissReadsOurFiles, runFaiss } from './helpers/faiss.js';

/*
 * Interop with Debian's faiss 1.7.3 (the reference implementation of the file format), both ways:
 * (a) libvq builds an index and writes it; faiss reads it, searches, and re-serializes it;
 * (b) faiss builds the same factory string and writes it; libvq reads it and searches.
 * Labels must be identical and distances equal to 1e-4 relative. All faiss work runs in two Python
 * processes so the file stays fast.
 */

const D = 16;
const N = 2000;
const NQ = 40;
const K = 10;
const NPROBE = 4;

/** n: vectors added (default N); with few vectors most lists are empty and faiss stores list sizes "sprs". */
const CASES: { factory: string; metric: Metric; n?: number }[] = [
  { factory: 'Flat', metric: 'ip' },
  { factory: 'Flat', metric: 'l2' },
  { factory: 'PQ8x8', metric: 'ip' },
  { factory: 'PQ8x4', metric: 'l2' },
  { factory: 'IVF16,Flat', metric: 'ip' },
  { factory: 'IVF16,Flat', metric: 'l2' },
  { factory: 'IVF16,PQ8x8', metric: 'ip' },
  { factory: 'IVF16,PQ8x8', metric: 'l2' },
  { factory: 'IVF16,PQ8x4', metric: 'ip' },
  { factory: 'IVF16,PQ8x4', metric: 'l2' },
  { factory: 'OPQ8,IVF16,PQ8x8', metric: 'ip' },
  { factory: 'OPQ8,IVF16,PQ8x4', metric: 'l2' },
  { factory: 'OPQ8,PQ8x8', metric: 'ip' },
  { factory: 'OPQ8,PQ8x4', metric: 'l2' },
  { factory: 'IVF16,PQ8x4', metric: 'ip', n: 5 },
  { factory: 'IVF16,Flat', metric: 'l2', n: 5 },
  // Cosine, the faiss way (what indexFactory(d, desc, 'cosine') builds): a NormalizationTransform "VNrm".
  { factory: 'L2norm,IVF16,PQ4x8', metric: 'ip' },
  { factory: 'L2norm,Flat', metric: 'ip' },
  // 4-bit fast-scan (IPfs / IwPf with block inverted lists "ilbl"): scores are uint16 sums of quantized tables, so
  // equal labels (up to ties) mean the same table quantization and the same block layout as faiss's.
  { factory: 'PQ8x4fs', metric: 'ip' },
  { factory: 'PQ8x4fs', metric: 'l2' },
  { factory: 'IVF16,PQ8x4fs', metric: 'ip' },
  { factory: 'IVF16,PQ8x4fs', metric: 'l2' },
  { factory: 'IVF16,PQ8x4fsr', metric: 'ip' },
  { factory: 'IVF16,PQ8x4fsr', metric: 'l2' },
  { factory: 'IVF16,PQ16x4fs', metric: 'ip' },
  { factory: 'IVF16,PQ1x4fs', metric: 'ip' },
  { factory: 'IVF16,PQ8x4fs', metric: 'ip', n: 45 },
  { factory: 'OPQ8,IVF16,PQ8x4fs', metric: 'ip' },
];

const label = (c: (typeof CASES)[number]) => `${c.factory} ${c.metric}${c.n !== undefined ? ` (${c.n} vectors)` : ''}`;

const xb = structuredData(N, D, 7);
const xq = structuredData(NQ, D, 99);
let dir: string;

describe('faiss file interop (Debian faiss 1.7.3)', () => {
  // (a) built here
  const ours: Index[] = [];
  const oursResults: SearchResult[] = [];
  let faissOnOurs: FaissOnFile[] = [];
  // (b) built by faiss
  let faissBuilt: FaissSearch[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'libvq-faiss-io-'));
    CASES.forEach((c, i) => {
      const index = indexFactory(D, c.factory, c.metric);
      if (index instanceof IndexPreTransform) for (const t of index.chain) if (t instanceof OPQMatrix) t.niter = 12;
      index.trainSync(xb, { seed: 3 + i });
      index.addSync(sliceRows(xb, 0, c.n ?? N));
      const ivf = ivfOf(index);
      if (ivf) ivf.nprobe = NPROBE;
      ours.push(index);
      oursResults.push(index.searchSync(xq, { k: K, nprobe: NPROBE }));
      writeIndexSync(index, join(dir, `ours-${i}.faiss`));
    });
    const files = CASES.map((_, i) => join(dir, `ours-${i}.faiss`));
    faissOnOurs = await faissReadsOurFiles(files, files.map(() => 'xq'), K, { xb, xq });
    faissBuilt = await runFaiss(
      `
res = []
for i, (fac, metric, n) in enumerate(${JSON.stringify(CASES.map((c) => [c.factory, c.metric, c.n ?? N]))}):
    # "np": no polysemous training (a codeword re-ordering for Hamming search, which takes ~40 s here
    # and does not change ADC results). OPQ iterations are cut to 12 on both sides, for time.
    if 'PQ' in fac.split(',')[-1] and 'fs' not in fac:
        fac += 'np'
    idx = faiss.index_factory(${D}, fac, faiss.METRIC_INNER_PRODUCT if metric == 'ip' else faiss.METRIC_L2)
    if fac.startswith('OPQ'):
        faiss.downcast_VectorTransform(idx.chain.at(0)).niter = 12
    idx.train(xb)
    idx.add(xb[:n])
    if faiss.try_extract_index_ivf(idx) is not None:
        faiss.ParameterSpace().set_index_parameter(idx, 'nprobe', ${NPROBE})
    faiss.write_index(idx, ${JSON.stringify(dir)} + '/faiss-%d.faiss' % i)
    Dd, Ii = idx.search(xq, ${K})
    res.append({'D': Dd.ravel().tolist(), 'I': Ii.ravel().tolist()})
json.dump(res, open(OUT, 'w'))
`,
      { xb, xq },
    );
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  CASES.forEach((c, i) => {
    it(`${label(c)}: faiss reads our file and finds what we find`, () => {
      const got = faissOnOurs[i];
      expect(got.ntotal).toBe(c.n ?? N);
      if (ivfOf(ours[i])) expect(got.nprobe).toBe(NPROBE);
      expectSameResults(oursResults[i], got.search, K, `${label(c)} (faiss on our file)`);
      // faiss's own writer, given the index it read from our file, produces our bytes exactly.
      const mine = readFileSync(join(dir, `ours-${i}.faiss`));
      const rewritten = readFileSync(join(dir, `ours-${i}.faiss.rewritten`));
      expect(Buffer.compare(mine, rewritten), `${label(c)}: faiss re-serialization differs`).toBe(0);
    });

    it(`${label(c)}: we read faiss's file and find what faiss finds`, () => {
      const path = join(dir, `faiss-${i}.faiss`);
      const index = readIndexSync(path);
      expect(index.ntotal).toBe(c.n ?? N);
      expect(index.metric).toBe(c.metric);
      expect(index.isTrained).toBe(true);
      expect(describeIndex(index)).toBe(c.factory);
      // No nprobe given: the one stored in the file (set by faiss) must be used.
      expectSameResults(index.searchSync(xq, { k: K }), faissBuilt[i], K, `${label(c)} (our search of faiss's file)`);
      const bytes = readFileSync(path);
      // Array lists store their sizes "full" or "sprs"; fast-scan's block lists ("ilbl") prefix each list instead.
      if (ivfOf(index)) expect(bytes.includes(c.factory.includes('fs') ? 'ilbl' : c.n === undefined ? 'full' : 'sprs'), 'list layout').toBe(true);
      const again = serializeIndex(deserializeIndex(bytes));
      expect(Buffer.compare(Buffer.from(again), bytes), `${label(c)}: serialize(deserialize(faiss bytes)) differs`).toBe(0);
    });
  });
});
