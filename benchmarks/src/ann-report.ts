/** The ANN benchmark's report: JSON shape and markdown (search table, build table, how each figure was measured). */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { markdownTable } from './report.js';
import type { SystemRun } from './system-run.js';

/** A system's run with recall against the exact ground truth in place of the raw labels. */
export type ScoredRun = Omit<SystemRun, 'runs'> & { runs: { nprobe: number; seconds: number; reps?: number; qps: number; r1: number; r10at100: number }[] };

export interface AnnResult {
  factory: string;
  systems: ScoredRun[];
}

export interface AnnReport {
  date: string;
  commit: string;
  /** Source files that differed from `commit` when the run started. */
  uncommitted: string[];
  command: string;
  machine: { start: MachineNote; end: MachineNote };
  options: { quick: boolean; threads: number; nprobes: number[]; /** absent in reports before it existed: those ran from the sources */ code?: 'built' | 'source'; opq?: { niter?: number; maxTrainPoints?: number } };
  dataset: { name: string; description: string; rows: number; dim: number; queries: number; metric: string; k: number; exact?: { seconds: number; threads: number } };
  results: AnnResult[];
}

export interface MachineNote {
  cpus: number;
  /** 1-minute load average: other jobs on a shared machine show here. */
  load1: number;
}

export function machineNote(): MachineNote {
  return { cpus: cpus().length, load1: Math.round(loadavg()[0] * 100) / 100 };
}

const git = (args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

/**
 * The checked-out commit the run measured, and the source files that differ from it (several people work
 * in one checkout: an uncommitted kernel change is part of what was measured, so the report names it).
 */
export function sourceCommit(): { commit: string; uncommitted: string[] } {
  try {
    const commit = git(['rev-parse', '--short', 'HEAD']).trim();
    const uncommitted = git(['status', '--porcelain', '--', 'packages', 'benchmarks/src', 'benchmarks/python'])
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.slice(3));
    return { commit, uncommitted };
  } catch {
    return { commit: 'unknown', uncommitted: [] };
  }
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const s = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
/** "12.3 (2.10x)": our figure and its ratio to faiss's, when both exist. */
const withRatio = (x: number | undefined, ref: number | undefined) => (x === undefined ? '-' : ref === undefined || ref <= 0 ? s(x) : `${s(x)} (${(x / ref).toFixed(2)}x)`);

function searchTable(r: AnnReport): string {
  const rows: (string | number)[][] = [];
  for (const { factory, systems } of r.results) {
    const faiss = systems.find((x) => x.system === 'faiss');
    r.options.nprobes.forEach((nprobe, i) => {
      for (const sys of systems) {
        const run = sys.runs[i];
        const ref = faiss?.runs[i];
        rows.push([factory, nprobe, sys.label, run.r1, run.r10at100, Math.round(run.qps), ref && sys !== faiss ? (run.qps / ref.qps).toFixed(2) : '-']);
      }
    });
  }
  return markdownTable(['index', 'nprobe', 'system', 'R@1', '10-R@100', 'q/s', 'q/s ÷ faiss'], rows);
}

/** Code bytes per vector of an IVF-PQ / PQ factory (`PQ<M>` is 8-bit, `PQ<M>x<nbits>[fs|fsr]`); undefined for others. */
export function codeBytes(factory: string): number | undefined {
  const m = /(?:^|,)PQ(\d+)(?:x(\d+)(?:fsr?)?)?$/.exec(factory);
  return m ? Math.ceil((Number(m[1]) * Number(m[2] ?? 8)) / 8) : undefined;
}

const isFastScan = (factory: string) => /x4fsr?$/.test(factory);

export interface EqualRecallRow {
  /** faiss's 8-bit point. */
  factory: string;
  nprobe: number;
  recall: number;
  qps: number;
  /** Our fastest fast-scan point with at least that recall (absent: none reaches it). */
  ours?: { factory: string; label: string; nprobe: number; recall: number; qps: number };
}

/**
 * Issue 17's comparison: for each of faiss's 8-bit IVF-PQ points, our fastest fast-scan point (any factory of
 * ≤ maxBytes code bytes, any backend, any nprobe of the run) whose 10-R@100 is equal or better.
 */
export function equalRecallRows(r: AnnReport, maxBytes = 25): EqualRecallRow[] {
  const ours = r.results.flatMap(({ factory, systems }) =>
    isFastScan(factory) && (codeBytes(factory) ?? Infinity) <= maxBytes
      ? systems.filter((x) => x.system === 'libvq-ts').flatMap((x) => x.runs.map((run) => ({ factory, label: x.label, nprobe: run.nprobe, recall: run.r10at100, qps: run.qps })))
      : [],
  );
  const rows: EqualRecallRow[] = [];
  for (const { factory, systems } of r.results) {
    if (isFastScan(factory) || codeBytes(factory) === undefined || /x(?!8)\d+$/.test(factory)) continue;
    const faiss = systems.find((x) => x.system === 'faiss');
    for (const run of faiss?.runs ?? []) {
      let best: EqualRecallRow['ours'];
      for (const o of ours) if (o.recall >= run.r10at100 && (best === undefined || o.qps > best.qps)) best = o;
      rows.push({ factory, nprobe: run.nprobe, recall: run.r10at100, qps: run.qps, ...(best ? { ours: best } : {}) });
    }
  }
  return rows;
}

function equalRecallTable(rows: EqualRecallRow[]): string {
  return markdownTable(
    ['faiss 8-bit', 'nprobe', '10-R@100', 'q/s', 'libvq-ts fast-scan (fastest at equal or better recall)', 'nprobe', '10-R@100', 'q/s', 'q/s ÷ faiss'],
    rows.map((x) => [
      x.factory, x.nprobe, x.recall, Math.round(x.qps),
      ...(x.ours ? [`${x.ours.factory}, ${x.ours.label}`, x.ours.nprobe, x.ours.recall, Math.round(x.ours.qps), (x.ours.qps / x.qps).toFixed(2)] : ['none reaches this recall', '-', '-', '-', '-']),
    ]),
  );
}

function buildTable(r: AnnReport): string {
  const rows: (string | number)[][] = [];
  for (const { factory, systems } of r.results) {
    const f = systems.find((x) => x.system === 'faiss');
    const hasOpq = systems.some((x) => (x.phases?.opqS ?? 0) > 0);
    for (const sys of systems) {
      const ref = sys === f ? undefined : f;
      const p = sys.phases;
      rows.push([
        factory,
        sys.label,
        withRatio(sys.trainS, ref?.trainS),
        p ? withRatio(p.kmeansS, ref?.phases?.kmeansS) : '-',
        p ? withRatio(p.pqS, ref?.phases?.pqS) : '-',
        p && hasOpq ? withRatio(p.opqS, ref?.phases?.opqS) : '-',
        withRatio(sys.addS, ref?.addS),
        mb(sys.indexBytes),
        mb(sys.peakRssBytes),
        mb(sys.peakRssBytes - sys.rssAfterLoadBytes),
      ]);
    }
  }
  return markdownTable(
    ['index', 'system', 'train s (÷ faiss)', 'k-means s', 'PQ train s', 'OPQ s', 'add s', 'index MB', 'peak RSS MB', 'peak − loaded MB'],
    rows,
  );
}

function notes(r: AnnReport): string {
  const all = r.results.flatMap((x) => x.systems);
  const faiss = all.find((x) => x.system === 'faiss');
  const lance = all.find((x) => x.system === 'LanceDB');
  const ours = all.find((x) => x.system === 'libvq-ts');
  const lines = [
    `- Threads: libvq-ts ${r.options.threads} (train, add, search); faiss ${r.options.threads} (OpenMP); LanceDB 1. Each system runs in a child process of its own, one after the other.`,
    all.some((x) => x.runs.some((run) => run.reps !== undefined))
      ? '- q/s: all queries in one batch call (libvq-ts, faiss): untimed passes until they add up to 0.5 s (1 to 10), then timed passes until they add up to 0.5 s (1 to 10), the median; LanceDB: one timed pass of one call per query after 10 warm-up calls.'
      : '- q/s: all queries in one batch call (libvq-ts, faiss) after a 10-query warm-up, timed once; LanceDB: one call per query after 10 warm-up calls.',
    '- Train = OPQ + k-means + PQ train, timed in pieces that are exactly what index.train does: OPQ rotation (train, then apply to the training set); ' +
      'coarse k-means over the training set (libvq-ts: until the last k-means progress report of IndexIVF.train; faiss: `train_q1`); ' +
      'PQ codebooks on the residuals, with the assignment of the training set to lists (libvq-ts: the rest of IndexIVF.train, which like faiss assigns only its 256 × ksub training sample; ' +
      'faiss: `train_residual`, which subsamples to 256 × 256 first). Both train on the whole base; k-means samples 256 points per centroid in both.',
    '- Peak RSS: the child process\'s resident-set high-water mark at the end (after train, add and every search): `process.resourceUsage().maxRSS` for ' +
      'libvq-ts and LanceDB (worker threads and native memory included), `resource.getrusage(RUSAGE_SELF).ru_maxrss` for faiss. It includes the runtime ' +
      'and the base vectors each process loads; "peak − loaded" is the peak minus the resident set measured right after loading the vectors ' +
      '(`process.memoryUsage.rss()`, VmRSS of /proc/self/status): what train, add and search added at their worst.',
    '- Index MB: the serialized index in faiss\'s format (`serializeIndex`, `faiss.serialize_index`; the same format for both); LanceDB: its index files (`_indices/`).',
  ];
  if (r.options.opq) lines.push(`- OPQ training budget (both systems): ${r.options.opq.niter ?? 50} iterations on at most ${r.options.opq.maxTrainPoints ?? 65536} points (faiss's defaults: 50, 65,536).`);
  if (faiss) lines.push(`- faiss ${faiss.version}, BLAS: ${faiss.blas}.`);
  if (lance) lines.push(`- LanceDB ${lance.version} IVF_PQ, same nlist and M, one query per call (its Node API has no batch search); "train" is createIndex (k-means, PQ and encoding every row), "add" the table write; it has no phase split.`);
  if (ours) {
    const dirty = r.uncommitted.length > 0 ? ` plus uncommitted changes to ${r.uncommitted.join(', ')}` : '';
    lines.push(`- libvq-ts at commit ${r.commit}${dirty}; k-means, PQ and search kernels of backend ${[...new Set(all.filter((x) => x.backend).map((x) => x.backend))].join(', ')}; ${r.options.code === 'built' ? 'run as users run it: plain node on the built packages (dist/)' : 'run from the TypeScript sources through tsx (its loader adds ~33 MB to the resident set)'}.`);
  }
  if (r.dataset.exact) lines.push(`- Exact ground truth: brute force with index-core's blocked knn kernel, ${r.dataset.exact.threads} thread(s), ${s(r.dataset.exact.seconds)} s (${Math.round(r.dataset.queries / r.dataset.exact.seconds)} q/s).`);
  lines.push(`- Machine: ${r.machine.start.cpus} cores, shared with other jobs (1-minute load average ${r.machine.start.load1} at the start, ${r.machine.end.load1} at the end): compare ratios, not absolute figures.`);
  return lines.join('\n');
}

/** The equal-recall section, when the run has both faiss 8-bit IVF-PQ points and our fast-scan points. */
function equalRecall(r: AnnReport): string[] {
  const rows = equalRecallRows(r);
  if (!rows.some((x) => x.ours)) return [];
  return [
    '## Fast-scan against faiss\'s 8-bit IVF-PQ at equal or better recall',
    '',
    'For each faiss 8-bit point, the fastest libvq-ts fast-scan point of this run (any fast-scan factory of ≤ 25 code bytes, any backend and nprobe) whose 10-R@100 is at least faiss\'s.',
    '',
    equalRecallTable(rows),
    '',
  ];
}

export function annMarkdown(r: AnnReport, plotFile: string): string {
  const q = r.options.quick ? ' (quick)' : '';
  return [
    `# ANN benchmark${q}: ${r.dataset.description}`,
    '',
    `k = ${r.dataset.k}; R@1 and 10-R@100 against the exact top-${r.dataset.k}. Run: \`${r.command}\`, ${r.date.slice(0, 10)}.`,
    '',
    '## Search',
    '',
    searchTable(r),
    '',
    ...equalRecall(r),
    '## Build (times in seconds; ratios to faiss in parentheses)',
    '',
    buildTable(r),
    '',
    notes(r),
    '',
    `![recall vs queries/s](${plotFile})`,
    '',
  ].join('\n');
}
