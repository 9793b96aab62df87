import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { LibvqError, describeIndex, readIndexSync } from '@libvq/index-core';
import { searchRowsInBatches } from '@libvq/index-core/util';
import { writeResults } from '@libvq/dataset';
import { withConfig } from '../config.js';
import { type BACKEND_NAMES, backendNote, backendOption } from './build.js';
import { interruptible } from '../interrupt.js';
import { withProgress } from '../progress.js';
import { VECTORS_FORMATS, intOption, ivfOf, readVectorsArg, similarityOf } from '../vectors-arg.js';

interface SearchFlags {
  index: string;
  queries: string;
  out: string;
  k: number;
  nprobe?: number;
  kFactor?: number;
  batch: number;
  column?: string;
  threads: number;
  backend: (typeof BACKEND_NAMES)[number];
}

export function registerSearch(program: Command): void {
  const cmd = program
    .command('search')
    .description('search an index with query vectors and write the top-k as a results Arrow table (qid, doc_ids, scores)')
    .requiredOption('--index <file>', 'index file (libvq build, or faiss.write_index)')
    .requiredOption('--queries <vectors>', `query vectors: ${VECTORS_FORMATS}; an Arrow "id" column becomes the qid`)
    .requiredOption('-o, --out <results>', 'results Arrow file: qid, doc_ids FixedSizeList<Int64>[k] (row numbers of the indexed vectors, -1 padded), scores')
    .option('--k <n>', 'results per query', intOption('--k', 1), 100)
    .option('--nprobe <n>', 'IVF lists probed per query (default 1, as in faiss); values above nlist are clamped to nlist, as faiss does', intOption('--nprobe', 1))
    .option('--k-factor <n>', 'fast-scan indexes (PQ<M>x4fs): keep k × n candidates by the quantized scores and re-score them with the float tables (default 1: the quantized scores, as faiss returns them)', intOption('--k-factor', 1))
    .option('--batch <n>', 'queries per search call', intOption('--batch', 1), 1024)
    .option('--column <name>', 'Arrow query files: the vector column')
    .option('--threads <n>', 'threads splitting each batch of queries (results are the same for any value)', intOption('--threads', 1, 256), 1)
    .addOption(backendOption())
    .addHelpText(
      'after',
      `
Examples:
  libvq search --index docs.faiss --queries dev-queries.embeddings.arrow --k 100 --nprobe 32 -o dev.results.arrow

qid is the queries file's "id" column when it has one, else the query's row number. Scores are faiss's
distances: inner products for ip indexes (higher is better), squared distances for l2 (lower is better).`,
    )
    .action(async (flags: SearchFlags) => {
      const index = readIndexSync(flags.index, { backend: flags.backend });
      index.threads = flags.threads;
      const ivf = ivfOf(index);
      // .memmap queries have no header: they take the index's dimension.
      const { matrix: q, ids } = await readVectorsArg(flags.queries, '--queries', { column: flags.column, dim: flags.queries.endsWith('.memmap') ? index.d : undefined });
      if (q.dim !== index.d) {
        throw new LibvqError('DIMENSION_MISMATCH', `--queries ${flags.queries}: vectors have dimension ${q.dim}, but the index ${flags.index} has d = ${index.d}`);
      }
      if (q.rows === 0) throw new LibvqError('INSUFFICIENT_DATA', `--queries ${flags.queries}: the file holds no vectors`);
      let nprobe = flags.nprobe ?? ivf?.nprobe ?? 1;
      if (flags.nprobe !== undefined && ivf === undefined) console.error(`libvq: note: --nprobe is ignored: ${describeIndex(index)} has no IVF layer`);
      if (ivf !== undefined && nprobe > ivf.nlist) {
        console.error(`libvq: note: --nprobe ${nprobe} > nlist ${ivf.nlist}: every list is probed (nprobe clamped to ${ivf.nlist}, as faiss does)`);
        nprobe = ivf.nlist;
      }
      const fastScan = /x4fsr?$/.test(describeIndex(index));
      if (flags.kFactor !== undefined && !fastScan) console.error(`libvq: note: --k-factor is ignored: ${describeIndex(index)} is not a fast-scan index`);
      const kFactor = fastScan ? flags.kFactor : undefined;
      // Results past ntotal would only be padding: k is clamped to ntotal (the results file says the k used).
      let k = flags.k;
      if (k > Math.max(1, index.ntotal)) {
        k = Math.max(1, index.ntotal);
        console.error(`libvq: note: --k ${flags.k} > ntotal ${index.ntotal}: k clamped to ${k} (the index holds no more results)`);
      }
      const t0 = performance.now();
      const r = await withProgress('searching', 'queries', (onProgress) =>
        searchRowsInBatches(q, k, flags.batch, (qb) => index.searchSync(qb, { k, nprobe, kFactor }), onProgress),
      );
      const secs = (performance.now() - t0) / 1000;
      const qids = ids ?? BigInt64Array.from({ length: q.rows }, (_, i) => BigInt(i));
      const metadata: Record<string, string> = {
        'libvq.index': resolve(flags.index),
        'libvq.factory': describeIndex(index),
        'libvq.queries': resolve(flags.queries),
        'libvq.metric': similarityOf(index), // 'cosine' for an L2norm,... index: what libvq eval searches exactly
        ...(ivf !== undefined ? { 'libvq.nprobe': String(nprobe) } : {}),
        ...(kFactor !== undefined ? { 'libvq.k_factor': String(kFactor) } : {}),
      };
      await interruptible(`writing ${flags.out}`, () => writeResults(flags.out, { qids, k, labels: r.labels, distances: r.distances }, metadata));
      console.log(
        `${q.rows} queries, k = ${k}${ivf !== undefined ? `, nprobe = ${nprobe}` : ''} on ${describeIndex(index)} (ntotal ${index.ntotal}${backendNote(index.backend)}) ` +
          `in ${secs.toFixed(2)} s (${secs > 0 ? Math.round(q.rows / secs) : 'inf'} queries/s) -> ${flags.out}`,
      );
    });
  // Config keys: index.search's (k, nprobe) and the command's own; the names already match.
  withConfig(cmd);
}
