import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { LibvqError } from '@libvq/index-core';
import { throwIfAborted } from '@libvq/index-core/util';
import { fixedSizeListData, idsData, recordBatch } from '@libvq/dataset/arrow';
import { TextRecordStream, countLines, rawTextPath, writeArrowFile } from '@libvq/dataset/formats';
import { joinFields } from '@libvq/dataset/tokens';
import { embeddingsPath, embeddingsSchema, type InferenceResult } from './embeddings-output.js';
import { embedTextBatch, type TextEmbedder } from './text-embedder.js';

export interface InferTextsOptions {
  /** A raw LibVQ data directory (collection.tsv, {mode}-queries.tsv). */
  dataDir: string;
  prefix: string;
  encoder: TextEmbedder;
  isQuery: boolean;
  outputDir: string;
  batchSize: number;
  returnVecs: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * inference() for an encoder that takes texts: the prefix's raw file is streamed record by record (checked as
 * preprocessData checks it: column counts, unique non-empty ids), each record's fields joined by a space and
 * handed to encodeTexts in batches, and the same embeddings table written (ids in file order), so nothing
 * downstream can tell which path made it. Progress counts lines of the file, as preprocessData does, because the
 * row count is known only at the end.
 */
export async function inferTexts(opts: InferTextsOptions): Promise<InferenceResult> {
  const { dataDir, prefix, encoder, isQuery, outputDir, batchSize, returnVecs, signal, onProgress } = opts;
  const file = rawTextPath(dataDir, prefix);
  if (!existsSync(file)) {
    throw new LibvqError(
      'IO',
      `${file}: not found. An encoder with encodeTexts reads the raw texts of "${prefix}" from a LibVQ data directory (collection.tsv for docs, {prefix}.tsv for queries), not the token files of a preprocessed one`,
    );
  }
  const dim = encoder.dim;
  const schema = embeddingsSchema(dim, encoder);
  const totalLines = onProgress ? await countLines(file) : 0;
  const kept: Float32Array[] = [];
  let rows = 0;

  async function* batches(): AsyncGenerator<ReturnType<typeof recordBatch>> {
    for await (const records of new TextRecordStream(file, { signal })) {
      const out = new Float32Array(records.length * dim);
      for (let s = 0; s < records.length; s += batchSize) {
        throwIfAborted(signal, `encoding ${prefix}`);
        const batch = records.slice(s, s + batchSize);
        // No separator token exists for a model libvq does not tokenize for: title and body are joined as text.
        const texts = batch.map((r) => joinFields(r.fields, null));
        const emb = await embedTextBatch(encoder, texts, { isQuery, signal }, `${file} lines ${batch[0].line}-${batch[batch.length - 1].line}`);
        out.set(emb.data, s * dim);
        onProgress?.(batch[batch.length - 1].line, totalLines);
      }
      rows += records.length;
      if (returnVecs) kept.push(out);
      yield recordBatch(schema, [idsData(records.map((r) => r.id)), fixedSizeListData(out, dim)]);
    }
  }

  await mkdir(outputDir, { recursive: true });
  const path = embeddingsPath(outputDir, prefix);
  await writeArrowFile(path, schema, batches());
  onProgress?.(totalLines, totalLines);
  const result: InferenceResult = { path, rows, dim, truncated: 0 };
  if (returnVecs) {
    const all = new Float32Array(rows * dim);
    let at = 0;
    for (const part of kept) {
      all.set(part, at);
      at += part.length;
    }
    result.vectors = { rows, dim, data: all };
  }
  return result;
}
