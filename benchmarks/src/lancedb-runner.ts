/**
 * LanceDB (@lancedb/lancedb, the TypeScript peer) on the same vectors: an IVF_PQ index with the same
 * partitions and sub-vectors as the libvq/faiss factory, queried one vector per call (its Node API has no
 * batch search) over the same nprobe sweep. The table lives in a temporary directory removed afterwards.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Field, FixedSizeList, Float32, Int32, makeData, RecordBatch, Schema, Struct, Table } from 'apache-arrow';
import { LibvqError, type Matrix, type Metric } from '@libvq/index-core';
import { throwIfAborted } from '@libvq/index-core/util';
import { annRecall } from './metrics.js';
import type { SystemRun, SystemSpec } from './system-run.js';
import type { ChildCode } from './built-child.js';
import { runTsChild } from './ts-child.js';

export interface LanceRun {
  version: string;
  threads: number;
  /** Writing the table (raw float32 vectors + ids) to disk. */
  writeS: number;
  /** createIndex: IVF k-means, PQ training and encoding every row. */
  indexS: number;
  /** Everything under the table directory: raw vectors, ids and the index. */
  diskBytes: number;
  /** The index files alone (`_indices/`): centroids, codebooks, codes and row ids. */
  indexBytes: number;
  runs: { nprobe: number; seconds: number; labels: Int32Array }[];
}

export interface LanceSpec {
  nlist: number;
  M: number;
  nprobes: number[];
  k: number;
  /** 'ip' searches and trains with LanceDB's 'dot' distance (the default), 'l2' with its 'l2'. */
  metric?: Metric;
  /** Compute threads for LanceDB's native runtime; fixed when the module first loads in this process. */
  threads: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

type LanceModule = typeof import('@lancedb/lancedb');
let loaded: { mod: LanceModule; threads: number } | undefined;

/**
 * Loads the native module with its thread pools sized to `threads`: LANCE_CPU_THREADS and
 * TOKIO_WORKER_THREADS are read once, when the runtime starts, so they must be set before the import.
 */
async function loadLance(threads: number): Promise<LanceModule> {
  if (loaded) {
    if (loaded.threads !== threads) {
      throw new LibvqError('INVALID_ARGUMENT', `lancedb-runner: threads=${threads}, but LanceDB was already loaded with threads=${loaded.threads} in this process`);
    }
    return loaded.mod;
  }
  process.env.LANCE_CPU_THREADS = String(threads);
  process.env.TOKIO_WORKER_THREADS = String(threads);
  const mod = await import('@lancedb/lancedb');
  loaded = { mod, threads };
  return mod;
}

function lanceVersion(): string {
  // The package's `exports` map hides package.json: find it next to the resolved entry point (dist/index.js).
  const entry = createRequire(import.meta.url).resolve('@lancedb/lancedb');
  return (JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string }).version;
}

function dirBytes(path: string): number {
  let total = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    total += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

/** An Arrow table `{ id: int32, vector: fixed_size_list<float32>[dim] }` over `base.data` without copying it. */
export function arrowTableOf(base: Matrix): Table {
  const item = new Float32();
  const listType = new FixedSizeList(base.dim, new Field('item', item, true));
  const fields = [new Field('id', new Int32(), false), new Field('vector', listType, false)];
  const ids = new Int32Array(base.rows);
  for (let i = 0; i < base.rows; i++) ids[i] = i;
  const child = makeData({ type: item, length: base.rows * base.dim, data: base.data.subarray(0, base.rows * base.dim) });
  const vectors = makeData({ type: listType, length: base.rows, nullCount: 0, child });
  const idData = makeData({ type: new Int32(), length: base.rows, nullCount: 0, data: ids });
  const struct = makeData({ type: new Struct(fields), length: base.rows, nullCount: 0, children: [idData, vectors] });
  return new Table([new RecordBatch(new Schema(fields), struct)]);
}

/** Builds the IVF_PQ table, runs every query of `queries` at each nprobe, removes the table. */
export async function runLanceIvfPq(base: Matrix, queries: Matrix, spec: LanceSpec): Promise<LanceRun> {
  if (base.dim % spec.M !== 0) {
    throw new LibvqError('INVALID_ARGUMENT', `lancedb-runner: dim ${base.dim} is not a multiple of M=${spec.M} sub-vectors`);
  }
  if (queries.dim !== base.dim) {
    throw new LibvqError('DIMENSION_MISMATCH', `lancedb-runner: queries have dim ${queries.dim}, base has ${base.dim}`);
  }
  const lancedb = await loadLance(spec.threads);
  const dir = mkdtempSync(join(tmpdir(), 'libvq-bench-lance-'));
  try {
    const distanceType = (spec.metric ?? 'ip') === 'ip' ? 'dot' : 'l2';
    const db = await lancedb.connect(dir);
    let t0 = performance.now();
    const table = await db.createTable('glove', arrowTableOf(base), { mode: 'create' });
    const writeS = (performance.now() - t0) / 1000;
    t0 = performance.now();
    await table.createIndex('vector', {
      config: lancedb.Index.ivfPq({ numPartitions: spec.nlist, numSubVectors: spec.M, numBits: 8, distanceType }),
    });
    const indexS = (performance.now() - t0) / 1000;
    const tableDir = join(dir, 'glove.lance');
    const indexDir = join(tableDir, '_indices');
    const total = spec.nprobes.length * queries.rows;
    const runs: LanceRun['runs'] = [];
    const search = async (q: number, nprobe: number) => {
      const vec = queries.data.subarray(q * queries.dim, (q + 1) * queries.dim);
      return table.vectorSearch(vec).distanceType(distanceType).nprobes(nprobe).limit(spec.k).select(['id', '_distance']).toArrow();
    };
    for (const nprobe of spec.nprobes) {
      for (let q = 0; q < Math.min(10, queries.rows); q++) await search(q, nprobe); // warm-up: index cache, JIT
      const labels = new Int32Array(queries.rows * spec.k).fill(-1);
      t0 = performance.now();
      for (let q = 0; q < queries.rows; q++) {
        throwIfAborted(spec.signal, 'LanceDB search');
        const res = await search(q, nprobe);
        // A query whose probed partitions are empty (LanceDB's k-means is not seeded: at nprobe 1 of 16 on CI's
        // 1,000 rows this happened once in many runs) gets an empty table without columns: no results, -1 labels.
        if (res.numRows > 0) {
          const ids = res.getChild('id');
          if (!ids) throw new LibvqError('UNSUPPORTED', `lancedb-runner: search result for query ${q} has no 'id' column`);
          const n = Math.min(res.numRows, spec.k);
          for (let j = 0; j < n; j++) labels[q * spec.k + j] = ids.get(j) as number;
        }
        spec.onProgress?.(runs.length * queries.rows + q + 1, total);
      }
      runs.push({ nprobe, seconds: (performance.now() - t0) / 1000, labels });
    }
    const result: LanceRun = {
      version: lanceVersion(),
      threads: spec.threads,
      writeS,
      indexS,
      diskBytes: dirBytes(tableDir),
      indexBytes: dirBytes(indexDir),
      runs,
    };
    table.close();
    db.close();
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The `lancedb` entry of glove-ann.json for one IVF-PQ factory: build figures and per-nprobe recall. */
export async function lanceEntry(
  base: Matrix,
  queries: Matrix,
  truth: Int32Array,
  spec: Omit<LanceSpec, 'onProgress'>,
): Promise<{ version: string; threads: number; writeS: number; indexS: number; diskBytes: number; indexBytes: number; runs: { nprobe: number; seconds: number; r1: number; r10at100: number }[] }> {
  const { runs, ...rest } = await runLanceIvfPq(base, queries, spec);
  return { ...rest, runs: runs.map((r) => ({ nprobe: r.nprobe, seconds: r.seconds, ...annRecall(r.labels, spec.k, truth, spec.k) })) };
}

/**
 * LanceDB on the spec's vector files in a child process of its own (lancedb-child.ts), so its peak RSS
 * (native runtime included) is its own. Its "train" is createIndex (k-means, PQ training and encoding
 * every row: LanceDB has no separate add), its "add" the table write; it has no phase split.
 */
export async function runLanceInChild(spec: SystemSpec & { nlist: number; M: number }, code: ChildCode = 'source'): Promise<SystemRun> {
  const what = `LanceDB IVF_PQ nlist ${spec.nlist}, M ${spec.M}`;
  type Out = Omit<LanceRun, 'runs'> & { runs: LanceRun['runs']; rssAfterLoadBytes: number; peakRssBytes: number };
  const r = await runTsChild<Out>(new URL('./lancedb-child.ts', import.meta.url), spec, what, code);
  return {
    system: 'LanceDB',
    label: `LanceDB${spec.threads > 1 ? ` (${spec.threads} threads)` : ''}`,
    version: r.version,
    threads: r.threads,
    trainS: r.indexS,
    addS: r.writeS,
    indexBytes: r.indexBytes,
    rssAfterLoadBytes: r.rssAfterLoadBytes,
    peakRssBytes: r.peakRssBytes,
    runs: r.runs,
  };
}
