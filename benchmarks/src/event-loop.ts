/**
 * Event-loop latency while an index searches (issue 16): a Node server answering requests must keep its event
 * loop free. A 1 ms interval timer runs beside one batch search of 10,000 queries on IVF1024,PQ20x8 (GloVe-100,
 * 100,000 base vectors, the next 10,000 words as queries); the gaps between its ticks are the latency a request
 * arriving meanwhile would see. Rows: `searchSync` (the calling thread does the work: one gap as long as the
 * search), `await search` with 1 and with 2 worker threads. Also the single-thread q/s of each, and that every
 * form returns the same bytes. Writes OUT/event-loop.{json,md}.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { gloveAnnSet } from '@libvq/glove/ann';
import { closeThreadPool, indexFactory, type SearchResult } from '@libvq/index-core';
import { sliceRows } from '@libvq/index-core/util';
import { markdownTable, writeReportFile } from './report.js';

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

interface Row {
  form: string;
  threads: number;
  seconds: number;
  qps: number;
  ticks: number;
  p50ms: number;
  p99ms: number;
  maxms: number;
}

const quantile = (sorted: number[], q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);

/** Runs `work` beside a 1 ms interval timer; the gaps between ticks (and from the start to the first tick, and the last tick to the end). */
async function withTicker<T>(work: () => Promise<T> | T): Promise<{ value: T; gaps: number[]; seconds: number }> {
  const gaps: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 1);
  // Let the timer start, so a synchronous call's gap is measured from a tick.
  await new Promise((r) => setTimeout(r, 5));
  gaps.length = 0;
  last = performance.now();
  const t0 = performance.now();
  const value = await work();
  // One more turn of the loop: the gap spanning a blocking call is recorded by the first tick after it.
  await new Promise((r) => setTimeout(r, 2));
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  return { value, gaps, seconds };
}

export async function main(argv: string[]): Promise<void> {
  const out = arg(argv, '--out') ?? 'bench-out';
  const rows = Number(arg(argv, '--rows') ?? 100_000);
  const nq = Number(arg(argv, '--queries') ?? 10_000);
  const factory = arg(argv, '--factory') ?? 'IVF1024,PQ20x8';
  const nprobe = Number(arg(argv, '--nprobe') ?? 16);
  const set = await gloveAnnSet({});
  const base = sliceRows(set.base, 0, rows);
  const queries = sliceRows(set.base, rows, rows + nq);
  const index = indexFactory(base.dim, factory, 'ip');
  console.error(`event-loop: building ${factory} on ${rows} GloVe vectors...`);
  await index.train(base, { seed: 1234 });
  await index.add(base);
  const k = 10;
  const results: SearchResult[] = [];
  const table: Row[] = [];
  const record = (form: string, threads: number, r: { value: SearchResult; gaps: number[]; seconds: number }) => {
    const sorted = [...r.gaps].sort((a, b) => a - b);
    results.push(r.value);
    table.push({
      form, threads, seconds: r.seconds, qps: nq / r.seconds, ticks: r.gaps.length,
      p50ms: quantile(sorted, 0.5), p99ms: quantile(sorted, 0.99), maxms: sorted.at(-1) ?? NaN,
    });
    console.error(`${form} threads ${threads}: ${r.seconds.toFixed(2)} s, ${Math.round(nq / r.seconds)} q/s, timer p50 ${quantile(sorted, 0.5).toFixed(2)} ms p99 ${quantile(sorted, 0.99).toFixed(2)} ms max ${(sorted.at(-1) ?? NaN).toFixed(1)} ms (${r.gaps.length} ticks)`);
  };
  // Warm-up (JIT, the worker's snapshot of the index), not recorded.
  index.searchSync(sliceRows(queries, 0, 500), { k, nprobe });
  await index.search(sliceRows(queries, 0, 500), { k, nprobe, threads: 2 });
  record('searchSync', 1, await withTicker(() => index.searchSync(queries, { k, nprobe, threads: 1 })));
  record('await search', 1, await withTicker(() => index.search(queries, { k, nprobe, threads: 1 })));
  record('await search', 2, await withTicker(() => index.search(queries, { k, nprobe, threads: 2 })));
  const same = results.every((r) => Buffer.from(r.labels.buffer).equals(Buffer.from(results[0].labels.buffer)) && Buffer.from(r.distances.buffer).equals(Buffer.from(results[0].distances.buffer)));
  if (!same) throw new Error('event-loop: the forms returned different results');
  // A fingerprint of the results, to compare with other versions of the library on the same data.
  const sha = createHash('sha256').update(Buffer.from(results[0].labels.buffer)).update(Buffer.from(results[0].distances.buffer)).digest('hex').slice(0, 16);
  await closeThreadPool();
  const md = [
    `# Event-loop latency during a search: ${nq} queries, ${factory}, nprobe ${nprobe}, k ${k}, ${rows} GloVe-100 vectors`,
    '',
    `A 1 ms interval timer runs beside the search; p50 / p99 / max are the gaps between its ticks (what a request arriving meanwhile waits). All forms return the same bytes (sha256 of labels as float64 + distances: ${sha}).`,
    '',
    markdownTable(['form', 'threads', 's', 'q/s', 'ticks', 'p50 ms', 'p99 ms', 'max ms'], table.map((r) => [r.form, r.threads, r.seconds.toFixed(2), Math.round(r.qps), r.ticks, r.p50ms.toFixed(2), r.p99ms.toFixed(2), r.maxms.toFixed(1)])),
    '',
  ].join('\n');
  writeReportFile(join(out, 'event-loop.json'), `${JSON.stringify({ rows, queries: nq, factory, nprobe, k, resultsSha256: sha, table }, null, 2)}\n`);
  writeReportFile(join(out, 'event-loop.md'), md);
  console.log(md);
}
