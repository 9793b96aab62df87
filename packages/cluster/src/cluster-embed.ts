import { join, resolve } from 'node:path';
import { LibvqError } from '@libvq/index-core';
import type { EmbedJobData, EmbedMergeJobData, EmbedMergeJobResult } from './jobs.js';
import { planLineShards } from './line-shards.js';
import { EMBED_BATCH } from './process-embed.js';
import { Run, type RunOptions } from './run.js';

export interface ClusterEmbedOptions extends RunOptions {
  /** A LibVQ collection / queries file (`id \t text ...` per line), on the shared storage. */
  readonly collection: string;
  /** The model, as the workers' model loader names it (libvq worker: glove-100, or a model directory on the shared storage). */
  readonly model: string;
  /** Embed with the query tower (a queries file). */
  readonly isQuery?: boolean;
}

export interface ClusterEmbedResult extends EmbedMergeJobResult {
  readonly run: string;
  readonly shards: number;
  readonly wallSeconds: number;
  readonly shardSeconds: number;
}

/**
 * Text to embeddings on the workers of a queue: each embed job runs `shardRows` lines of the collection through the
 * model, the embed-merge job writes them as one .npy in file order — what encodeTexts gives in one process, byte for byte
 * (shardRows is rounded up to whole batches of EMBED_BATCH texts).
 */
export async function embedOnCluster(o: ClusterEmbedOptions): Promise<ClusterEmbedResult> {
  const t0 = performance.now();
  const collection = resolve(o.collection);
  if (!o.out.endsWith('.npy')) throw new LibvqError('INVALID_ARGUMENT', `-o ${o.out}: the embeddings are written as a .npy file (name it *.npy)`);
  // Shards of whole batches: encodeTexts embeds EMBED_BATCH texts at a time and a model's output can differ in the
  // last bit with the batch it ran in, so shards that start on a batch boundary of the one-process run make the
  // very batches it makes: the same bytes (for a file without blank lines, which shift the batches after them).
  const shardLines = Math.ceil((o.shardRows ?? 100_000) / EMBED_BATCH) * EMBED_BATCH;
  const plan = await planLineShards(collection, shardLines);
  if (plan.length === 0) throw new LibvqError('INSUFFICIENT_DATA', `${collection}: the file is empty; nothing to embed`);
  const run = await Run.open(o);
  try {
    const shards = plan.map((s, i) => ({ start: s.firstLine, end: s.endLine, path: join(run.workDir, `embed-${String(i).padStart(6, '0')}.lvqs`) }));
    const children = plan.map((s, i): EmbedJobData => ({ collection, ...s, model: o.model, isQuery: o.isQuery, shardPath: shards[i].path }));
    const mergeData: EmbedMergeJobData = { out: run.out, shards };
    const { result, shardSeconds } = await run.shardFlow('embed-merge', mergeData, 'embed', children, plan[plan.length - 1].endLine);
    return { ...(result as EmbedMergeJobResult), run: run.id, shards: shards.length, shardSeconds, wallSeconds: (performance.now() - t0) / 1000 };
  } finally {
    await run.close();
  }
}
