/**
 * GloVe-100 ANN benchmark (protocol of shared/data/README.md): libvq-ts against Debian's faiss on the
 * same split, same factory strings, same nprobe sweep, both single-threaded, in the same run.
 * Prints a markdown table and writes JSON + markdown to --out (default bench-out/).
 */
import { join } from 'node:path';
import { gloveAnnSet } from '@libvq/glove';
import { type Index, type IndexIVF, IndexPreTransform, indexFactory, LibvqError, type Matrix, sliceRows } from '@libvq/index-core';
import { runFaissIvf } from './faiss-runner.js';
import { lanceEntry } from './lancedb-runner.js';
import { annRecall } from './metrics.js';
import { gloveAnnPoints, recallQpsSvg } from './plot.js';
import { markdownTable, writeAtomic } from './report.js';

interface Options {
  quick: boolean;
  factories: string[];
  nprobes: number[];
  out: string;
  seed: number;
  skipFaiss: boolean;
  /** LanceDB IVF_PQ side by side (IVF-PQ factories only); on unless --skip-lancedb. */
  lancedb: boolean;
  /** libvq-ts threads for train, add and search (--threads, default 1); the peers stay single-threaded. */
  threads: number;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  return {
    quick,
    factories: (get('--factories') ?? (quick ? 'IVF256,PQ20x8;OPQ20,IVF256,PQ20x8' : 'IVF1024,PQ20x8;OPQ20,IVF1024,PQ20x8')).split(';'),
    nprobes: (get('--nprobes') ?? (quick ? '4,16,64' : '8,32,128')).split(',').map(Number),
    out: get('--out') ?? 'bench-out',
    seed: Number(get('--seed') ?? 1234),
    skipFaiss: argv.includes('--skip-faiss'),
    lancedb: argv.includes('--lancedb') || !argv.includes('--skip-lancedb'),
    threads: threadsArg(get('--threads')),
  };
}

function threadsArg(v: string | undefined): number {
  const n = Number(v ?? 1);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new LibvqError('INVALID_ARGUMENT', `--threads: expected an integer from 1 to 256, got ${JSON.stringify(v)}`);
  return n;
}

function ivfOf(index: Index): IndexIVF {
  return (index instanceof IndexPreTransform ? index.index : index) as IndexIVF;
}

function timeIt<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const r = fn();
  return [r, (performance.now() - t0) / 1000];
}

export async function main(argv: string[]): Promise<void> {
  const opts = parseArgs(argv);
  const k = 100;
  console.error('loading GloVe-100 ANN set (first run parses the npm package and caches it)...');
  const set = await gloveAnnSet({ seed: opts.seed });
  let base: Matrix = set.base;
  let queries: Matrix = set.queries;
  let truth = set.groundTruth;
  if (opts.quick) {
    // CI-sized: a prefix of the base and its own exact ground truth.
    const { exactInnerProductTopK } = await import('@libvq/glove');
    base = sliceRows(set.base, 0, 50_000);
    queries = sliceRows(set.queries, 0, 200);
    truth = exactInnerProductTopK(base, queries, k).ids;
  }
  console.error(`base ${base.rows} x ${base.dim}, ${queries.rows} queries`);
  const rows: (string | number)[][] = [];
  const results: unknown[] = [];
  for (const factory of opts.factories) {
    console.error(`libvq-ts ${factory}: training...`);
    const index = indexFactory(base.dim, factory, 'ip');
    index.threads = opts.threads;
    const [, trainS] = timeIt(() => index.train(base, { seed: opts.seed }));
    const [, addS] = timeIt(() => index.add(base));
    const ours = opts.nprobes.map((nprobe) => {
      index.search(sliceRows(queries, 0, 10), { k, nprobe }); // warm-up (JIT)
      const [r, s] = timeIt(() => index.search(queries, { k, nprobe }));
      return { nprobe, seconds: s, ...annRecall(r.labels, k, truth, k) };
    });
    const ivf = ivfOf(index);
    const M = (ivf as unknown as { pq?: { M: number } }).pq?.M ?? 0;
    const entry: Record<string, unknown> = {
      factory,
      ours: { trainS, addS, memoryBytes: index.memoryBytes(), codeBudgetBytes: base.rows * (M + 8), runs: ours },
    };
    let theirs: ReturnType<typeof runFaissIvf> | undefined;
    if (!opts.skipFaiss) {
      console.error(`faiss ${factory}: training...`);
      theirs = runFaissIvf(base, queries, { factory, nprobes: opts.nprobes, k, threads: 1, seed: opts.seed });
      entry.faiss = {
        version: theirs.faiss_version,
        blas: theirs.blas,
        trainS: theirs.train_s,
        addS: theirs.add_s,
        indexBytes: theirs.index_bytes,
        runs: theirs.runs.map((r) => ({ nprobe: r.nprobe, seconds: r.seconds, ...annRecall(Int32Array.from(r.labels), k, truth, k) })),
      };
    }
    // LanceDB has no OPQ: only plain IVF-PQ factories get a LanceDB run, with the same nlist and M.
    if (opts.lancedb && !(index instanceof IndexPreTransform) && M > 0) {
      console.error(`LanceDB IVF_PQ nlist ${ivf.nlist}, M ${M}: building...`);
      entry.lancedb = await lanceEntry(base, queries, truth, { nlist: ivf.nlist, M, nprobes: opts.nprobes, k, threads: 1 });
    }
    results.push(entry);
    ours.forEach((o, i) => {
      const f = (entry.faiss as { runs: { r1: number; r10at100: number; seconds: number }[] } | undefined)?.runs[i];
      const qpsOurs = queries.rows / o.seconds;
      const qpsFaiss = f ? queries.rows / f.seconds : NaN;
      const l = (entry.lancedb as { runs: { r1: number; r10at100: number; seconds: number }[] } | undefined)?.runs[i];
      rows.push([
        factory,
        o.nprobe,
        o.r1,
        f ? f.r1 : '-',
        o.r10at100,
        f ? f.r10at100 : '-',
        Math.round(qpsOurs),
        f ? Math.round(qpsFaiss) : '-',
        f ? (qpsOurs / qpsFaiss).toFixed(2) : '-',
        ...(opts.lancedb ? [l ? l.r1 : '-', l ? l.r10at100 : '-', l ? Math.round(queries.rows / l.seconds) : '-'] : []),
      ]);
    });
    console.error(
      `  train ${trainS.toFixed(1)} s (faiss ${theirs?.train_s.toFixed(1) ?? '-'} s), add ${addS.toFixed(1)} s (faiss ${theirs?.add_s.toFixed(1) ?? '-'} s), ` +
        `memory ${(index.memoryBytes() / 1e6).toFixed(1)} MB (n(M+8) = ${((base.rows * (M + 8)) / 1e6).toFixed(1)} MB)`,
    );
  }
  const table = markdownTable(
    ['index', 'nprobe', 'R@1 ours', 'R@1 faiss', '10-R@100 ours', '10-R@100 faiss', 'q/s ours', 'q/s faiss', 'ratio',
      ...(opts.lancedb ? ['R@1 lance', '10-R@100 lance', 'q/s lance'] : [])],
    rows,
  );
  const timing = (results as { factory: string; ours: { trainS: number; addS: number; memoryBytes: number }; faiss?: { trainS: number; addS: number; blas: string; version: string } }[])
    .map((r) =>
      `- ${r.factory}: train ${r.ours.trainS.toFixed(1)} s` +
      (r.faiss ? ` (${(r.ours.trainS / r.faiss.trainS).toFixed(2)}x faiss), add ${r.ours.addS.toFixed(1)} s (${(r.ours.addS / r.faiss.addS).toFixed(2)}x faiss); faiss ${r.faiss.version}, BLAS: ${r.faiss.blas}` : ''),
    )
    .join('\n');
  const lanceLines = (results as { factory: string; lancedb?: { version: string; writeS: number; indexS: number; diskBytes: number; indexBytes: number } }[])
    .filter((r) => r.lancedb)
    .map(({ factory, lancedb: l }) =>
      `- LanceDB ${l!.version} IVF_PQ (${factory}, one query per call): write ${l!.writeS.toFixed(1)} s, index build ${l!.indexS.toFixed(1)} s, ` +
      `on disk ${(l!.diskBytes / 1e6).toFixed(1)} MB (index ${(l!.indexBytes / 1e6).toFixed(1)} MB)`,
    )
    .join('\n');
  const plotName = `glove-ann${opts.quick ? '-quick' : ''}.svg`;
  const md = `# GloVe-100 ANN, single thread (${base.rows} base, ${queries.rows} queries, inner product)\n\n${table}\n\n${timing}\n${lanceLines ? `${lanceLines}\n` : ''}\n![recall vs queries/s](${plotName})\n`;
  console.log(md);
  writeAtomic(join(opts.out, `glove-ann${opts.quick ? '-quick' : ''}.json`), JSON.stringify({ date: new Date().toISOString(), options: opts, results }, null, 2));
  writeAtomic(join(opts.out, `glove-ann${opts.quick ? '-quick' : ''}.md`), md);
  const points = gloveAnnPoints(results as Parameters<typeof gloveAnnPoints>[0], queries.rows);
  writeAtomic(join(opts.out, plotName), await recallQpsSvg(points, `GloVe-100 ANN, single thread (${base.rows} base, ${queries.rows} queries)`));
}
