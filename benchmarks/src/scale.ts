/**
 * `pnpm bench scale`: the out-of-core build, measured the way users run it. A seeded clustered set is written to
 * disk as .npy (default 2,000,000 × 384 float32, 3 GB; kept in --data-dir and reused by later runs); then, per
 * factory, the *built* `libvq build` binary (apps/cli/dist, run by plain node, never the TypeScript source) trains
 * on a seeded sample and adds the file batch by batch, and Debian's faiss does the same from a numpy memmap.
 * Reported: train and add time, the peak resident set of both, and 10-R@100 at each nprobe on the held-out
 * queries against exact ground truth computed from the file. Goals (issue 11): libvq's peak RSS ≤ 1.5 GB and
 * ≤ 1.25 × faiss's, recall within 0.01 of faiss's. Writes scale.{json,md} to --out.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { npyHeaderF32, readNpy } from '@libvq/dataset/formats';
import { LibvqError } from '@libvq/index-core';
import { writeFileAtomicSync } from '@libvq/index-core/util';
import { machineNote, sourceCommit } from './ann-report.js';
import { exactTopKOfFile } from './exact-from-file.js';
import { markdownTable, writeReportFile } from './report.js';
import { CLI, runFaissScale, runLibvq, type SystemResult } from './scale-systems.js';
import { writeSynthSet, type SynthSpec } from './synth-set.js';

const K = 100;
const GB = 1e9;

export interface ScaleOptions {
  rows: number;
  dim: number;
  queries: number;
  components: number;
  factories: string[];
  nprobes: number[];
  trainSize: number;
  batchRows: number;
  seed: number;
  threads: number;
  out: string;
  dataDir: string;
  skipFaiss: boolean;
}

/** --quick: a CI-sized run of the same path (minutes): 100,000 × 384, IVF1024, 40,000 training vectors. */
const QUICK = { rows: 100_000, nlist: 1024, trainSize: 40_000, components: 1024 };

function value(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function int(argv: string[], name: string, dflt: number, min = 1): number {
  const v = value(argv, name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new LibvqError('INVALID_ARGUMENT', `${name}: expected an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

export function parseScaleArgs(argv: string[]): ScaleOptions {
  const quick = argv.includes('--quick');
  const nlist = quick ? QUICK.nlist : 4096;
  const out = resolve(value(argv, '--out') ?? 'bench-out');
  return {
    rows: int(argv, '--rows', quick ? QUICK.rows : 2_000_000),
    dim: int(argv, '--dim', 384),
    queries: int(argv, '--queries', 1000),
    components: int(argv, '--components', quick ? QUICK.components : 4096),
    factories: (value(argv, '--factories') ?? `IVF${nlist},PQ48x8;OPQ48,IVF${nlist},PQ48x8`).split(';'),
    nprobes: (value(argv, '--nprobes') ?? '16,64').split(',').map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 1) throw new LibvqError('INVALID_ARGUMENT', `--nprobes: expected positive integers, got ${JSON.stringify(s)}`);
      return n;
    }),
    // 39 points per centroid: the fewest faiss trains k-means on without a warning (faiss's own cap is 256).
    trainSize: int(argv, '--train-size', quick ? QUICK.trainSize : 39 * nlist),
    batchRows: int(argv, '--batch-rows', 65536),
    seed: int(argv, '--seed', 1234, 0),
    threads: int(argv, '--threads', 1),
    out,
    dataDir: resolve(value(argv, '--data-dir') ?? join(out, 'scale-data')),
    skipFaiss: argv.includes('--skip-faiss'),
  };
}

/** The data set and its exact top-100, written once per spec into dataDir and reused. */
async function prepareData(o: ScaleOptions): Promise<{ base: string; queries: string; truth: Int32Array }> {
  mkdirSync(o.dataDir, { recursive: true });
  const spec: SynthSpec = { rows: o.rows, queries: o.queries, dim: o.dim, components: o.components, seed: o.seed };
  const stem = join(o.dataDir, `synth-${o.rows}x${o.dim}-c${o.components}-q${o.queries}-s${o.seed}`);
  const base = `${stem}.base.npy`;
  const queries = `${stem}.queries.npy`;
  if (!existsSync(base) || !existsSync(queries)) {
    console.error(`writing ${base} (${((o.rows * o.dim * 4) / GB).toFixed(2)} GB) ...`);
    let last = 0;
    await writeSynthSet(spec, base, queries, (done, total) => {
      if (done - last >= total / 20 || done === total) {
        last = done;
        console.error(`  ${done} / ${total} rows`);
      }
    }, 'npy');
  }
  const truthPath = `${stem}.truth-k${K}.i32`;
  if (!existsSync(truthPath)) {
    console.error('exact top-100 of every query (blockwise over the file) ...');
    const q = await readNpy(queries);
    const t = await exactTopKOfFile(base, o.dim, q, K, 'l2', { threads: o.threads, offset: npyHeaderF32(o.rows, o.dim).length });
    writeFileAtomicSync(truthPath, [t.ids]); // atomic: a later run trusts any file at this path
  }
  return { base, queries, truth: new Int32Array(readFileSync(truthPath).buffer.slice(0)) };
}

const gb = (b: number) => (b / GB).toFixed(2);

export async function main(argv: string[]): Promise<void> {
  const o = parseScaleArgs(argv);
  if (!existsSync(CLI)) throw new LibvqError('IO', `${CLI} is missing: run pnpm build first (the benchmark measures the built libvq binary)`);
  mkdirSync(o.out, { recursive: true });
  const { base, queries, truth } = await prepareData(o);
  const tmp = mkdtempSync(join(tmpdir(), 'libvq-bench-scale-'));
  const results: { factory: string; systems: SystemResult[] }[] = [];
  try {
    for (const factory of o.factories) {
      console.error(`\n== ${factory}: libvq build (the built binary) ...`);
      const systems = [await runLibvq(o, factory, base, queries, truth, tmp)];
      if (!o.skipFaiss) {
        console.error(`== ${factory}: faiss (memmap, batches of ${o.batchRows}) ...`);
        systems.push(await runFaissScale(o, factory, base, queries, truth, tmp));
      }
      results.push({ factory, systems });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const rows: (string | number)[][] = [];
  for (const r of results) {
    for (const s of r.systems) {
      rows.push([
        r.factory,
        s.system,
        s.trainS.toFixed(1),
        s.addS.toFixed(1),
        gb(s.peakRssBytes) + (s.peakAnonBytes !== undefined ? ` (anon ${gb(s.peakAnonBytes)})` : ''),
        ...s.runs.map((x) => `${x.r10at100.toFixed(3)} (${x.seconds.toFixed(2)} s)`),
      ]);
    }
  }
  const header = ['factory', 'system', 'train s', 'add s', 'peak RSS GB', ...o.nprobes.map((p) => `10-R@100 nprobe ${p} (search s)`)];
  const goals = results.map((r) => {
    const [ours, faiss] = r.systems;
    const recallGap = faiss ? Math.max(...ours.runs.map((x, i) => faiss.runs[i].r10at100 - x.r10at100)) : Number.NaN;
    return {
      factory: r.factory,
      oursPeakGB: ours.peakRssBytes / GB,
      ratioToFaiss: faiss ? ours.peakRssBytes / faiss.peakRssBytes : Number.NaN,
      ratioToFaissAnon: faiss?.peakAnonBytes ? ours.peakRssBytes / faiss.peakAnonBytes : Number.NaN,
      recallGap,
      met: ours.peakRssBytes <= 1.5 * GB && (!faiss || (ours.peakRssBytes <= 1.25 * faiss.peakRssBytes && recallGap <= 0.01)),
    };
  });
  const md = [
    `# Out-of-core build: ${o.rows.toLocaleString('en-US')} × ${o.dim} float32 (.npy, ${gb(o.rows * o.dim * 4)} GB), ${o.queries} held-out queries`,
    '',
    `Seeded Gaussian mixture (${o.components} components, seed ${o.seed}), L2. Both systems train on a seeded sample of ${o.trainSize.toLocaleString('en-US')} vectors and add`,
    `${o.batchRows.toLocaleString('en-US')} vectors at a time from the file; ${o.threads} thread(s). libvq-ts is the built \`libvq build\` / \`libvq search\` binary under plain node;`,
    "faiss reads the .npy as a numpy memmap (its peak RSS counts the memmap's resident file pages; 'anon' is what faiss itself holds).",
    '',
    markdownTable(header, rows),
    '',
    markdownTable(['factory', 'libvq peak GB (≤ 1.5)', 'ratio to faiss RSS (≤ 1.25)', 'ratio to faiss anon', 'max recall gap (≤ 0.01)', 'goals met'], goals.map((g) => [g.factory, g.oursPeakGB.toFixed(2), g.ratioToFaiss.toFixed(2), g.ratioToFaissAnon.toFixed(2), g.recallGap.toFixed(3), g.met ? 'yes' : 'no'])),
    '',
  ].join('\n');
  const stem = join(o.out, `scale${o.rows === QUICK.rows ? '-quick' : ''}`);
  writeReportFile(`${stem}.json`, JSON.stringify({ options: o, machine: machineNote(), source: sourceCommit(), results, goals }, null, 2));
  writeReportFile(`${stem}.md`, md);
  console.log(md);
  console.log(`-> ${stem}.json, ${stem}.md`);
}
