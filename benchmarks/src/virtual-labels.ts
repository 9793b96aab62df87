/**
 * Virtual labels at scale (issue 13, point 2): the top 1 + 399 documents of 10^5 training queries over 10^6
 * documents, mined (a) from the initial IVF index with nprobe lists ('auto' = fit's calibration), (b) from the
 * index with every list probed (LibVQ's exhaustive ADC scan), (c) by the teacher's exact ranking (blocked GEMM over
 * the dense documents read block by block from the .npy), at 1 and 2 threads; and how far each agrees with the
 * others (label quality: the share of queries with the same positive, and of the reference's 400 labels found).
 * (b) and (c) are timed on a sample of the queries and scaled to all of them (stated in the table).
 *
 *   node --conditions=source --import tsx benchmarks/src/train-memory.ts prepare --dir /tmp/tm --queries 100000
 *   node --conditions=source --import tsx benchmarks/src/virtual-labels.ts --dir /tmp/tm [--threads 1,2]
 *        [--sample 1000] [--exact-sample 1000] [--nprobes 8,16,32,64,128] [--out bench-out]
 *
 * Writes OUT/virtual-labels.{json,md}.
 */
import { join } from 'node:path';
import { readVectors } from '@libvq/dataset';
import { openRowReader } from '@libvq/dataset/formats';
import { sliceRows } from '@libvq/index-core/util';
import { LearnableIndex } from '@libvq/train';
import { calibrateLabelNprobe, exactVirtualLabels, labelAgreement, virtualLabels, type VirtualLabels } from '@libvq/train/fit';
import { markdownTable, writeReportFile } from './report.js';
import { arg } from './train-cranfield.js';

const NEG = 399;

function timed<T>(run: () => T): { value: T; seconds: number } {
  const t = performance.now();
  const value = run();
  return { value, seconds: (performance.now() - t) / 1000 };
}

export async function main(argv: string[]): Promise<void> {
  const dir = arg(argv, '--dir') ?? '/tmp/tm';
  const out = arg(argv, '--out') ?? 'bench-out';
  const threadsList = (arg(argv, '--threads') ?? '1,2').split(',').map(Number);
  const sampleN = Number(arg(argv, '--sample') ?? 1000);
  const exactN = Number(arg(argv, '--exact-sample') ?? 1000);
  const nprobes = (arg(argv, '--nprobes') ?? '8,16,32,64,128').split(',').map(Number);
  const li = LearnableIndex.load(join(dir, 'index-1000000'));
  const p = li.parts;
  const queries = (await readVectors(join(dir, 'queries.npy'))).matrix;
  const docs = await openRowReader(join(dir, 'base.npy'));
  const nq = queries.rows;
  console.error(`${li.describe()} over ${li.ntotal} documents (${p.metric}), ${nq} training queries, top 1 + ${NEG}`);
  const sample = sliceRows(queries, 0, sampleN); // the queries are independent draws: the first rows are a sample
  const runs: Record<string, unknown>[] = [];
  const rows: (string | number)[][] = [];
  const quality: Record<string, { vsExhaustive: ReturnType<typeof labelAgreement>; vsExact: ReturnType<typeof labelAgreement> }> = {};
  let exhaustive: VirtualLabels | null = null;
  let exact: VirtualLabels | null = null;
  for (const threads of threadsList) {
    li.index.threads = threads;
    const row = (method: string, queriesTimed: number, seconds: number, note: string, scaled = true) => {
      const perAll = scaled ? (seconds / queriesTimed) * nq : seconds; // the calibration is paid once, not per query
      rows.push([threads, method, queriesTimed.toLocaleString('en-US'), seconds.toFixed(1), Math.round(queriesTimed / seconds).toLocaleString('en-US'), perAll.toFixed(0), note]);
      runs.push({ threads, method, queriesTimed, seconds, queriesPerSecond: queriesTimed / seconds, secondsForAll: perAll, note });
      console.error(`threads ${threads}  ${method.padEnd(34)} ${queriesTimed} queries in ${seconds.toFixed(1)} s -> ${perAll.toFixed(0)} s for ${nq}  ${note}`);
    };
    const cal = timed(() => calibrateLabelNprobe(li.index, p.nlist, queries, NEG, { threads, seed: 3 }));
    const c = cal.value;
    row(`calibration (nprobe 'auto')`, c.sampleQueries, cal.seconds, `once per fit; tried nprobe: same positive / labels found ${c.tried.map((t) => `${t.nprobe}: ${t.positiveAgreement.toFixed(3)}/${t.labelRecall.toFixed(3)}`).join(', ')} -> nprobe ${c.chosen}`, false);
    const all = timed(() => virtualLabels(li.index, queries, NEG, c.chosen, { threads }));
    row(`index, nprobe ${c.chosen} (auto), all queries`, nq, all.seconds, 'measured on every query');
    const full = timed(() => virtualLabels(li.index, sample, NEG, p.nlist, { threads }));
    exhaustive = full.value;
    row(`index, nprobe ${p.nlist} (every list)`, sampleN, full.seconds, `timed on ${sampleN} queries, scaled`);
    for (const np of nprobes) {
      const r = timed(() => virtualLabels(li.index, sample, NEG, np, { threads }));
      row(`index, nprobe ${np}`, sampleN, r.seconds, `timed on ${sampleN} queries, scaled`);
      if (threads === threadsList[0]) quality[`index, nprobe ${np}`] = { vsExhaustive: labelAgreement(exhaustive, r.value), vsExact: { positiveAgreement: NaN, labelRecall: NaN } };
    }
    const ex = timed(() => exactVirtualLabels(p.metric, docs, sliceRows(sample, 0, exactN), NEG, { threads }));
    exact = ex.value;
    row('exact (dense, blocked GEMM, from .npy)', exactN, ex.seconds, `timed on ${exactN} queries, scaled`);
    if (threads === threadsList[0]) {
      const autoOnSample = virtualLabels(li.index, sample, NEG, c.chosen, { threads });
      quality[`index, nprobe ${c.chosen} (auto)`] = { vsExhaustive: labelAgreement(exhaustive, autoOnSample), vsExact: { positiveAgreement: NaN, labelRecall: NaN } };
      quality[`index, nprobe ${p.nlist} (every list)`] = { vsExhaustive: labelAgreement(exhaustive, exhaustive), vsExact: { positiveAgreement: NaN, labelRecall: NaN } };
      quality['exact (dense)'] = { vsExhaustive: { positiveAgreement: NaN, labelRecall: NaN }, vsExact: labelAgreement(exact, exact) };
    }
  }
  // How much of the teacher's own top 400 each index labelling recovers (on the exact sample's queries).
  const firstRows = (v: VirtualLabels, n: number): VirtualLabels => ({
    rels: new Map([...v.rels].filter(([q]) => q < n)), negs: new Map([...v.negs].filter(([q]) => q < n)),
  });
  li.index.threads = threadsList.at(-1)!;
  const exactSample = sliceRows(sample, 0, exactN);
  for (const key of Object.keys(quality)) {
    const m = /nprobe (\d+)/.exec(key);
    if (!m) continue;
    quality[key].vsExact = labelAgreement(exact!, virtualLabels(li.index, exactSample, NEG, Number(m[1])));
  }
  quality['exact (dense)'].vsExhaustive = labelAgreement(firstRows(exhaustive!, exactN), exact!);
  const f = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(3));
  const qRows = Object.entries(quality).map(([k, v]) => [k, f(v.vsExhaustive.positiveAgreement), f(v.vsExhaustive.labelRecall), f(v.vsExact.positiveAgreement), f(v.vsExact.labelRecall)]);
  const md =
    `# Virtual labels at scale: ${nq.toLocaleString('en-US')} training queries over ${li.ntotal.toLocaleString('en-US')} documents (${li.describe()}, ${p.metric}), top 1 + ${NEG}\n\n` +
    `Time (s for every query: measured, or scaled from the sample the row names):\n\n` +
    markdownTable(['threads', 'method', 'queries timed', 's', 'queries/s', `s for ${nq.toLocaleString('en-US')}`, 'note'], rows) +
    `\n\nLabel quality on the first ${sampleN} queries (exact: the first ${exactN}): the share with the same positive, and of the reference's 1 + ${NEG} labels found.\n\n` +
    markdownTable(['labels', 'same positive as every-list scan', 'labels found of every-list scan', 'same positive as exact', 'labels found of exact'], qRows) +
    '\n';
  writeReportFile(join(out, 'virtual-labels.md'), md);
  writeReportFile(join(out, 'virtual-labels.json'), JSON.stringify({ index: li.describe(), documents: li.ntotal, queries: nq, neg: NEG, runs, quality }, null, 2));
  console.log(md);
  docs.close();
}

