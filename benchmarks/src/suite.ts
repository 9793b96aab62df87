/**
 * The benchmark suite: the one table that both `pnpm bench <name>` (main.ts) and `libvq bench <name>`
 * (apps/cli) dispatch through. Each entry declares the options its `main(argv)` reads, so both front ends
 * refuse a misspelt flag or a malformed value (the benchmarks' own small parsers ignore unknown flags and
 * read numbers with Number()), and the CLI builds `--help` and `--config` keys from the same list.
 * benchmarks/test/suite.test.ts checks that the declarations and the flags each benchmark's source reads agree.
 */
import { LibvqError } from '@libvq/index-core';

/** 'ints' / 'strings': a list, written on the command line joined by `separator`. */
export type BenchOptionKind = 'flag' | 'int' | 'number' | 'string' | 'ints' | 'strings';

export interface BenchOption {
  readonly flag: `--${string}`;
  readonly kind: BenchOptionKind;
  readonly description: string;
  /** Lists only: what separates the items on the command line. */
  readonly separator?: ',' | ';';
}

export interface BenchModule {
  main(argv: string[]): Promise<void>;
}

export interface Benchmark {
  readonly description: string;
  readonly options: readonly BenchOption[];
  /** Argument lists after the benchmark's name, shown as examples in the help (and parsed by the CLI's tests). */
  readonly examples: readonly (readonly string[])[];
  /** The benchmark's module, loaded only when it runs (LanceDB, the GloVe set and faiss stay out of every other command). */
  load(): Promise<BenchModule>;
}

const out: BenchOption = { flag: '--out', kind: 'string', description: 'directory for the JSON / markdown results (default bench-out)' };
const quick: BenchOption = { flag: '--quick', kind: 'flag', description: 'the small version (minutes on 2 cores) instead of the full run' };

/** The ANN benchmark's options (glove-ann.ts reads them; `synth` is the same benchmark on the synthetic set). */
const annOptions: readonly BenchOption[] = [
  quick,
  { flag: '--dataset', kind: 'string', description: 'glove (GloVe-100, the default) or synth1m (seeded 1,000,000 × 100 Gaussian mixture, L2)' },
  { flag: '--factories', kind: 'strings', separator: ';', description: 'factory strings, ";"-separated (default IVF1024,PQ20x8;OPQ20,IVF1024,PQ20x8; --quick: IVF256)' },
  { flag: '--nprobes', kind: 'ints', separator: ',', description: 'nprobe sweep, comma-separated (default 8,32,128; --quick: 4,16,64)' },
  { flag: '--rows', kind: 'int', description: 'base vectors: a prefix of GloVe\'s base, or the synthetic set\'s size (--quick: 20,000 GloVe / 50,000 synthetic)' },
  { flag: '--queries', kind: 'int', description: 'queries (default 1000; --quick: 200)' },
  { flag: '--dim', kind: 'int', description: 'synthetic set: dimension (default 100)' },
  { flag: '--components', kind: 'int', description: 'synthetic set: mixture components (default 1000)' },
  out,
  { flag: '--seed', kind: 'int', description: 'seed of the data and of every training (default 1234)' },
  { flag: '--skip-faiss', kind: 'flag', description: 'do not run faiss (no python3-faiss needed)' },
  { flag: '--lancedb', kind: 'flag', description: 'run LanceDB IVF_PQ side by side (the default)' },
  { flag: '--skip-lancedb', kind: 'flag', description: 'do not run LanceDB' },
  { flag: '--threads', kind: 'int', description: 'libvq-ts threads for train, add and search, and for the exact ground truth (default 1; the peers stay single-threaded)' },
  { flag: '--backends', kind: 'strings', separator: ',', description: 'libvq-ts kernel backends, one row each (default js; e.g. js,gpujs)' },
  { flag: '--code', kind: 'string', description: 'how the libvq-ts and LanceDB children run: built (default; plain node on the packages\' dist/, as users run it: `pnpm build` first) or source (the TypeScript sources through tsx, ~33 MB more resident set)' },
  { flag: '--opq-niter', kind: 'int', description: 'OPQ training iterations, both systems (default 50, faiss\'s; --quick: 10)' },
  { flag: '--opq-train-points', kind: 'int', description: 'OPQ training points, both systems (default 65536, faiss\'s; --quick: 10000)' },
];

export const BENCHMARKS: Readonly<Record<string, Benchmark>> = {
  glove: {
    description: 'ANN: libvq-ts against faiss and LanceDB IVF_PQ on the same vectors, factories and nprobe sweep (GloVe-100, or --dataset synth1m)',
    options: annOptions,
    examples: [['--quick', '--skip-lancedb'], ['--factories', 'IVF1024,PQ20x8', '--nprobes', '16,64', '--threads', '2'], ['--dataset', 'synth1m', '--backends', 'js']],
    load: () => import('./glove-ann.js'),
  },
  synth: {
    description: 'ANN at scale: the glove benchmark on the synthetic 1,000,000 × 100 Gaussian mixture (--dataset synth1m)',
    options: annOptions,
    examples: [['--quick'], ['--factories', 'IVF1024,PQ20x8', '--skip-lancedb']],
    load: async () => {
      const ann = await import('./glove-ann.js');
      return { main: (argv: string[]) => ann.main(argv.includes('--dataset') ? argv : ['--dataset', 'synth1m', ...argv]) };
    },
  },
  cluster: {
    description: 'the distributed batch work (issue 14): encode-into-index and virtual-label mining of 1,000,000 × 100 vectors on 1 and 2 built `libvq worker` processes over a real redis-server; speed-up, overhead per job, a replica\'s start-up',
    options: [
      quick,
      out,
      { flag: '--rows', kind: 'int', description: 'corpus vectors (default 1,000,000; --quick: 100,000)' },
      { flag: '--queries', kind: 'int', description: 'queries labelled (default 100,000; --quick: 10,000)' },
      { flag: '--shard-rows', kind: 'int', description: 'rows per encode job (default 50,000)' },
      { flag: '--label-shard-rows', kind: 'int', description: 'queries per label job (default 5,000)' },
      { flag: '--workers', kind: 'ints', separator: ',', description: 'worker counts to run (default 1,2)' },
      { flag: '--factory', kind: 'string', description: 'the index (default IVF1024,PQ20x8)' },
      { flag: '--train-size', kind: 'int', description: 'training sample (default 100,000)' },
      { flag: '--nprobe', kind: 'int', description: 'label mining nprobe (default 16)' },
      { flag: '--neg-num', kind: 'int', description: 'negatives per query (default 99: top 100)' },
      { flag: '--seed', kind: 'int', description: 'seed of the data and the training (default 1234)' },
    ],
    examples: [['--quick'], ['--workers', '1,2', '--shard-rows', '100000']],
    load: () => import('./cluster.js'),
  },
  scale: {
    description: 'out-of-core build: a seeded 2,000,000 × 384 .npy (3 GB) built as IVF4096,PQ48x8 and OPQ48,IVF4096,PQ48x8 by the built libvq binary and by faiss from a memmap; train / add time, peak RSS, 10-R@100',
    options: [
      quick,
      out,
      { flag: '--rows', kind: 'int', description: 'base vectors (default 2,000,000; --quick: 100,000)' },
      { flag: '--dim', kind: 'int', description: 'dimension (default 384)' },
      { flag: '--queries', kind: 'int', description: 'held-out queries (default 1000)' },
      { flag: '--components', kind: 'int', description: 'mixture components (default 4096; --quick: 1024)' },
      { flag: '--factories', kind: 'strings', separator: ';', description: 'factory strings, ";"-separated (default IVF4096,PQ48x8;OPQ48,IVF4096,PQ48x8; --quick: IVF1024)' },
      { flag: '--nprobes', kind: 'ints', separator: ',', description: 'nprobe sweep (default 16,64)' },
      { flag: '--train-size', kind: 'int', description: 'training sample, both systems (default 39 per IVF list: 159,744; --quick: 40,000)' },
      { flag: '--batch-rows', kind: 'int', description: 'vectors added per batch, both systems (default 65536)' },
      { flag: '--seed', kind: 'int', description: 'seed of the data and of every training (default 1234)' },
      { flag: '--threads', kind: 'int', description: 'threads of both systems (default 1)' },
      { flag: '--data-dir', kind: 'string', description: 'where the .npy files and their ground truth are kept between runs (default OUT/scale-data)' },
      { flag: '--skip-faiss', kind: 'flag', description: 'do not run faiss' },
    ],
    examples: [['--quick'], ['--rows', '500000', '--factories', 'IVF1024,PQ48x8']],
    load: () => import('./scale.js'),
  },
  'event-loop': {
    description: 'event-loop latency (p50 / p99 of a 1 ms timer) and q/s while 10,000 queries search IVF1024,PQ20x8 on GloVe-100: searchSync against await search on 1 and 2 worker threads',
    options: [
      out,
      { flag: '--rows', kind: 'int', description: 'base vectors, a prefix of GloVe\'s base (default 100,000)' },
      { flag: '--queries', kind: 'int', description: 'queries, the base words after the indexed ones (default 10,000)' },
      { flag: '--factory', kind: 'string', description: 'factory string (default IVF1024,PQ20x8)' },
      { flag: '--nprobe', kind: 'int', description: 'lists probed (default 16)' },
    ],
    examples: [['--rows', '50000', '--queries', '2000']],
    load: () => import('./event-loop.js'),
  },
  cranfield: {
    description: 'Cranfield: dense, PQ, OPQ and learned (distill / contrastive, index-only / with the query encoder) rows at each byte budget',
    options: [
      { flag: '--data', kind: 'string', description: 'a LibVQ-layout directory (default: Cranfield, apps/cli/data/cranfield)' },
      out,
      { flag: '--bytes', kind: 'ints', separator: ',', description: 'bytes per vector, comma-separated (default 4,10)' },
      { flag: '--epochs', kind: 'int', description: 'training epochs of each learned row (default 10)' },
      { flag: '--scope', kind: 'string', description: "documents scored per query: corpus or batch (default: the training plan's choice, corpus here)" },
    ],
    examples: [['--bytes', '4', '--epochs', '2'], ['--scope', 'batch']],
    load: () => import('./train-cranfield.js'),
  },
  transformer: {
    description: 'the transformer tower (issue 15): a GloVe-initialised BERT trained with the index vs a linear head over it, the GloVe bag-of-words tower and the index alone, per byte budget (Cranfield or debdesc)',
    options: [
      { flag: '--dataset', kind: 'string', description: 'cranfield (default) or debdesc (../shared/data/debdesc, encoded into bench-out/debdesc-work)' },
      out,
      { flag: '--bytes', kind: 'ints', separator: ',', description: 'bytes per vector, comma-separated (default 4,10)' },
      { flag: '--epochs', kind: 'int', description: 'most training epochs (default 10 on Cranfield, 2 on debdesc)' },
      { flag: '--layers', kind: 'int', description: 'transformer layers of the GloVe-BERT (default 2)' },
      { flag: '--train-layers', kind: 'string', description: 'all, embeddings-frozen or top-K (default all)' },
      { flag: '--lr-encoder', kind: 'string', description: "the transformer's AdamW rate (default 1e-4)" },
      { flag: '--loss', kind: 'string', description: 'distill (virtual labels, default) or contras (the judgments)' },
    ],
    examples: [['--bytes', '4', '--epochs', '2'], ['--dataset', 'debdesc']],
    load: () => import('./train-transformer.js'),
  },
  'transformer-throughput': {
    description: 'training throughput of the transformer tower: a 6-layer, 384-wide BERT on 32-token queries at 1 and 2 threads, peak memory, and its exported model.onnx against the TypeScript forward',
    options: [
      out,
      { flag: '--batch', kind: 'int', description: 'queries per batch (default 32)' },
      { flag: '--steps', kind: 'int', description: 'timed steps after one warm-up (default 6)' },
      { flag: '--threads', kind: 'ints', separator: ',', description: 'thread counts (default 1,2)' },
      { flag: '--train-layers', kind: 'string', description: 'all, embeddings-frozen or top-K (default all)' },
    ],
    examples: [['--steps', '3']],
    load: () => import('./transformer-throughput.js'),
  },
  debdesc: {
    description: 'debdesc (60k documents, 55k train / 2k dev queries): dense, PQ, OPQ and learned OPQ (distill with virtual labels, contrastive on the train judgments) per byte budget, with and without IVF; learned rows over seeds',
    options: [
      { flag: '--data', kind: 'string', description: 'the debdesc directory (default ../shared/data/debdesc)' },
      { flag: '--work', kind: 'string', description: 'where the preprocessed + encoded files are kept between runs (default bench-out/debdesc-work)' },
      out,
      { flag: '--bytes', kind: 'ints', separator: ',', description: 'bytes per vector, comma-separated (default 4,10,20; one that does not divide 100 reduces the dimension: OPQ8_96)' },
      { flag: '--ivf', kind: 'int', description: 'IVF lists of the IVF rows (default 1024)' },
      { flag: '--nprobe', kind: 'int', description: 'lists probed by the IVF rows (default 64)' },
      { flag: '--ivf-modes', kind: 'strings', separator: ',', description: 'none (no IVF), ivf, or both (default none,ivf)' },
      { flag: '--epochs', kind: 'int', description: 'most epochs per learned row; the training plan may run fewer (default 10)' },
      { flag: '--seeds', kind: 'ints', separator: ',', description: 'training seeds of the learned rows (default 3)' },
      { flag: '--methods', kind: 'strings', separator: ',', description: 'rows per budget (default pq,opq,distill-index,contras-index)' },
      { flag: '--threads', kind: 'int', description: 'threads of index training, adds and searches (default 1; the figures are the same for any value)' },
      { flag: '--opq-niter', kind: 'int', description: "OPQ training iterations (default 50, faiss's)" },
      { flag: '--opq-train-points', kind: 'int', description: "OPQ training points (default 65536, faiss's)" },
      { flag: '--label-search', kind: 'string', description: "virtual labels: index (the initial index) or exact (the dense ranking) (default index)" },
      { flag: '--label-nprobe', kind: 'string', description: "lists the label search of an IVF index probes: auto or a number (default auto)" },
      { flag: '--freeze', kind: 'strings', separator: ',', description: 'parameters the learned rows keep fixed: centroids, rotation, codebooks (default none)' },
    ],
    examples: [['--bytes', '4', '--ivf-modes', 'none', '--seeds', '3,4']],
    load: () => import('./train-debdesc.js'),
  },
  'virtual-labels': {
    description: "virtual labels (top 1 + 399) of 10^5 training queries over 10^6 documents: the IVF index at nprobe 'auto' / fixed / every list, and the teacher's exact blocked GEMM, at 1 and 2 threads; time and label agreement",
    options: [
      { flag: '--dir', kind: 'string', description: 'what `train-memory.ts prepare --dir DIR --queries 100000` wrote (default /tmp/tm)' },
      out,
      { flag: '--threads', kind: 'ints', separator: ',', description: 'thread counts, comma-separated (default 1,2)' },
      { flag: '--sample', kind: 'int', description: 'queries the every-list scan and the fixed nprobes are timed on (default 1000)' },
      { flag: '--exact-sample', kind: 'int', description: 'queries the exact search is timed on (default 1000)' },
      { flag: '--nprobes', kind: 'ints', separator: ',', description: 'fixed nprobe values (default 8,16,32,64,128)' },
    ],
    examples: [['--dir', '/tmp/tm', '--threads', '1,2']],
    load: () => import('./virtual-labels.js'),
  },
  'glove-train': {
    description: 'GloVe-100 with learned IVF-PQ indexes (PQ10x8, PQ5x8): distill with virtual labels, 10-R@100 before / after training against IVF-Flat over the same lists',
    options: [
      quick,
      out,
      { flag: '--seed', kind: 'int', description: 'seed (default 1234)' },
      { flag: '--nlist', kind: 'int', description: 'IVF lists (default 1024; --quick: 256)' },
      { flag: '--train-queries', kind: 'int', description: 'training queries drawn from the base (default 48000; --quick: 4000)' },
      { flag: '--epochs', kind: 'int', description: 'epochs (default 3)' },
      { flag: '--nprobes', kind: 'ints', separator: ',', description: 'nprobe values to evaluate, comma-separated (default 8,32)' },
      { flag: '--pq', kind: 'ints', separator: ',', description: 'PQ sub-vectors (bytes) of the learned IVF-PQ indexes, one row group each (default 10,5)' },
      { flag: '--temperature', kind: 'string', description: "distillation temperature: a number, or 'auto' (fitted to the teacher's score spread) (default auto)" },
      { flag: '--lr-codebooks', kind: 'number', description: 'AdamW rate of the PQ codebooks (default 3e-4)' },
      { flag: '--lr-centroids', kind: 'number', description: 'SGD rate of the IVF centroids (default: centroids frozen)' },
      { flag: '--threads', kind: 'int', description: 'threads of index training, the label search and the training step (default 1; the figures are the same for any value)' },
    ],
    examples: [['--quick'], ['--nlist', '1024', '--epochs', '3', '--lr-codebooks', '1e-4']],
    load: () => import('./train-glove.js'),
  },
  'glove-rounds': {
    description: "interleaved rounds on GloVe-100: faiss's 8-bit IVF-PQ against libvq-ts's fast-scan (or any two factories, or both systems on one index file), each searching in a fresh process in turn, round after round; the speed ratio at equal or better 10-R@100 per round and of the medians",
    options: [
      out,
      { flag: '--rounds', kind: 'int', description: 'rounds (default 3)' },
      { flag: '--threads', kind: 'int', description: 'threads of both systems (default 1)' },
      { flag: '--factory', kind: 'string', description: 'libvq-ts index (default IVF1024,PQ50x4fsr)' },
      { flag: '--reference', kind: 'string', description: 'faiss index (default IVF1024,PQ20x8)' },
      { flag: '--nprobes', kind: 'ints', separator: ',', description: 'libvq-ts nprobe sweep (default 8,9,10,12,13,14,16,18,20,21,22,24,28,32)' },
      { flag: '--reference-nprobes', kind: 'ints', separator: ',', description: 'faiss nprobe values (default 8,16,32)' },
      { flag: '--same-index', kind: 'flag', description: "faiss searches libvq-ts's index file (no faiss build; not with --reference) and the report compares both at each nprobe both ran" },
      { flag: '--backends', kind: 'strings', separator: ',', description: 'libvq-ts backends (default js,native)' },
      { flag: '--seed', kind: 'int', description: 'seed of the data and of both trainings (default 1234)' },
    ],
    examples: [['--rounds', '5'], ['--threads', '2', '--reference-nprobes', '8,32,128', '--nprobes', '8,16,24,32,48'], ['--factory', 'IVF1024,PQ20x8', '--same-index', '--nprobes', '8,32,128', '--reference-nprobes', '8,32,128']],
    load: () => import('./glove-rounds.js'),
  },
};

function benchmark(name: string | undefined): Benchmark {
  const b = name === undefined ? undefined : Object.hasOwn(BENCHMARKS, name) ? BENCHMARKS[name] : undefined;
  if (!b) throw new LibvqError('INVALID_ARGUMENT', `benchmark: expected one of ${Object.keys(BENCHMARKS).join(', ')}, got ${name === undefined ? 'nothing' : JSON.stringify(name)}`);
  return b;
}

/**
 * Checks one option value and returns it as the benchmark will read it: a number for 'int' / 'number', the
 * text otherwise (lists stay joined: main(argv) splits them). Errors name the flag and what was expected.
 */
export function parseBenchValue(o: BenchOption, text: string): string | number {
  const fail = (expected: string): never => {
    throw new LibvqError('INVALID_ARGUMENT', `${o.flag}: expected ${expected}, got ${JSON.stringify(text)}`);
  };
  const isInt = (s: string) => /^-?\d+$/.test(s.trim()) && Number.isSafeInteger(Number(s));
  switch (o.kind) {
    case 'int':
      return isInt(text) ? Number(text) : fail('an integer');
    case 'number': {
      const x = Number(text);
      return text.trim() !== '' && Number.isFinite(x) ? x : fail('a number');
    }
    case 'ints':
      return text.split(o.separator ?? ',').every(isInt) ? text : fail(`integers separated by "${o.separator ?? ','}"`);
    case 'strings':
      return text.split(o.separator ?? ',').every((s) => s.trim() !== '') ? text : fail(`non-empty items separated by "${o.separator ?? ','}"`);
    case 'string':
      return text !== '' && !text.startsWith('--') ? text : fail('a value');
    case 'flag':
      return fail('no value (a flag)');
  }
}

/** Refuses flags the benchmark does not read, missing values and malformed ones (main(argv) would ignore or misread them). */
export function checkBenchArgs(name: string, argv: readonly string[]): void {
  const b = benchmark(name);
  for (let i = 0; i < argv.length; i++) {
    const o = b.options.find((x) => x.flag === argv[i]);
    if (!o) {
      throw new LibvqError('INVALID_ARGUMENT', `unknown option ${JSON.stringify(argv[i])}; expected one of ${b.options.map((x) => x.flag).join(', ')}`);
    }
    if (o.kind === 'flag') continue;
    if (i + 1 >= argv.length) throw new LibvqError('INVALID_ARGUMENT', `${o.flag}: expected a value after it`);
    parseBenchValue(o, argv[++i]);
  }
}

/** Runs one benchmark with its own argument list (checked first). */
export async function runBenchmark(name: string, argv: string[]): Promise<void> {
  const b = benchmark(name);
  checkBenchArgs(name, argv);
  await (await b.load()).main(argv);
}
