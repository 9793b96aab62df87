import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { LibvqError } from '@libvq/index-core';
import { bytesOf, writeAtomic, writeChunks } from '@libvq/index-core/util';
import { npyHeaderF32 } from '@libvq/dataset/formats';
import { joinFields } from '@libvq/dataset/tokens';
import { encodeTexts, type EncodeTextsOptions } from '@libvq/encoder';
import type { EmbedJobData, EmbedMergeJobData, EmbedMergeJobResult } from './jobs.js';
import type { ReportProgress } from './process-jobs.js';
import { readShardFile, writeShardFile, type ShardFileInfo } from './shard-file.js';

/** Texts per encoder call (encodeTexts' default batch): embed shards hold whole batches (cluster-embed.ts). */
export const EMBED_BATCH = 32;

/** A text model as an embed job uses it: what encodeTexts takes (an encoder, and its tokenizer unless it embeds text itself). */
export interface TextModel {
  readonly encoder: EncodeTextsOptions['encoder'];
  readonly tokenizer?: EncodeTextsOptions['tokenizer'] & { readonly separator?: string | null };
}

/** Turns an embed job's `model` string into a model (libvq worker: resolveModel's names and directories). */
export type ModelLoader = (model: string) => Promise<TextModel>;

/** An embed shard's result: the shard file, its first line, the records embedded, and their dimension. */
export interface EmbedJobResult extends ShardFileInfo {
  readonly dim: number;
  readonly seconds: number;
}

/**
 * Embeds the records of lines [firstLine, endLine) of a collection file (`id \t field...`; fields joined with the
 * tokenizer's separator, as `libvq preprocess` joins them; blank lines hold no record) into one shard of float32 rows.
 */
export async function runEmbedJob(data: EmbedJobData, model: TextModel, report: ReportProgress = () => {}): Promise<EmbedJobResult> {
  const t0 = performance.now();
  const { collection, firstLine, endLine, byteStart, byteEnd } = data;
  const bytes = Buffer.alloc(byteEnd - byteStart);
  const fh = await open(collection, 'r').catch((e: Error) => {
    throw new LibvqError('IO', `${collection}: cannot read it (${e.message})`, { cause: e });
  });
  try {
    const { bytesRead } = await fh.read(bytes, 0, bytes.length, byteStart);
    if (bytesRead !== bytes.length) throw new LibvqError('BAD_FILE', `${collection}: ${bytesRead} bytes at ${byteStart}, the plan counted ${bytes.length} (the file changed since the run was planned)`);
  } finally {
    await fh.close();
  }
  const lines = bytes.toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length !== endLine - firstLine) {
    throw new LibvqError('BAD_FILE', `${collection}: lines ${firstLine + 1}..${endLine} hold ${lines.length} lines now (the file changed since the run was planned)`);
  }
  const separator = model.tokenizer?.separator ?? null;
  const texts: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line.length === 0) continue;
    const cols = line.split('\t');
    if (cols.length < 2 || cols[0].trim() === '') throw new LibvqError('BAD_FILE', `${collection}:${firstLine + i + 1}: expected "id \\t text [\\t text ...]", got ${cols.length} column(s)`);
    texts.push(joinFields(cols.slice(1), separator));
  }
  const emb = await encodeTexts({
    encoder: model.encoder, tokenizer: model.tokenizer, texts, isQuery: data.isQuery === true, batchSize: EMBED_BATCH,
    onProgress: (done) => void report({ done: Math.round(((endLine - firstLine) * done) / Math.max(1, texts.length)), total: endLine - firstLine, stage: 'embed' }),
  });
  const info = await writeShardFile(data.shardPath, { start: firstLine, rows: emb.rows, codes: bytesOf(emb.data) }, 4 * emb.dim);
  return { ...info, dim: emb.dim, seconds: (performance.now() - t0) / 1000 };
}

/** Writes every shard's rows, in line order, as one float32 .npy (through a temporary name), each shard read back as its job reported it. */
export async function runEmbedMergeJob(data: EmbedMergeJobData, results: readonly EmbedJobResult[], report: ReportProgress = () => {}): Promise<EmbedMergeJobResult> {
  const t0 = performance.now();
  const byStart = new Map(results.map((r) => [r.start, r]));
  const ordered = data.shards.map((s) => {
    const info = byStart.get(s.start);
    if (!info || info.path !== s.path) throw new LibvqError('JOB_FAILED', `embed-merge: no finished embed job reported shard ${s.path} (lines ${s.start + 1}..${s.end})`);
    return info;
  });
  const dim = ordered[0]?.dim ?? 0;
  const odd = ordered.find((r) => r.dim !== dim);
  if (odd) throw new LibvqError('DIMENSION_MISMATCH', `embed-merge: shard ${odd.path} has ${odd.dim}-d rows, shard ${ordered[0].path} ${dim}-d (one model for the whole run)`);
  const rows = ordered.reduce((n, r) => n + r.rows, 0);
  const total = data.shards.length === 0 ? 0 : data.shards[data.shards.length - 1].end;
  const hash = createHash('sha256');
  let bytes = 0;
  await writeAtomic(data.out, async (fh) => {
    const header = npyHeaderF32(rows, dim);
    await writeChunks(fh, [header]);
    hash.update(header);
    bytes += header.length;
    for (let i = 0; i < ordered.length; i++) {
      const shard = await readShardFile(ordered[i], 4 * dim);
      await writeChunks(fh, [shard.codes]);
      hash.update(shard.codes);
      bytes += shard.codes.length;
      await report({ done: data.shards[i].end, total, stage: 'merge' });
    }
  });
  return { out: data.out, rows, dim, bytes, sha256: hash.digest('hex'), seconds: (performance.now() - t0) / 1000 };
}

