import { join } from 'node:path';
import type { Matrix } from '@libvq/index-core';
import { fixedSizeListData, idsData, schemaFor } from '@libvq/dataset/arrow';
import { encoderInfo, type TextEmbedder } from './text-embedder.js';

/** Where inference writes a prefix's embeddings: `{outputDir}/{prefix}.embeddings.arrow`. */
export function embeddingsPath(outputDir: string, prefix: string): string {
  return join(outputDir, `${prefix}.embeddings.arrow`);
}

/**
 * The embeddings table schema (dataset's contract): id: Utf8, embedding: FixedSizeList<Float32>[dim], and
 * libvq.* metadata saying which encoder made the vectors; the same whether tokens or texts went in.
 */
export function embeddingsSchema(dim: number, encoder: Partial<Pick<TextEmbedder, 'describe' | 'pooling' | 'normalized'>>): ReturnType<typeof schemaFor> {
  const info = encoderInfo(encoder);
  const metadata = new Map([
    ['libvq.dim', String(dim)],
    ['libvq.encoder', info.name],
    ['libvq.pooling', info.pooling],
    ['libvq.normalized', String(info.normalized)],
  ]);
  return schemaFor(['id', 'embedding'], [idsData([]), fixedSizeListData(new Float32Array(0), dim)], metadata);
}

/** What inference wrote. */
export interface InferenceResult {
  /** The embeddings file written. */
  path: string;
  rows: number;
  dim: number;
  /** Rows cut to maxLength (token encoders; 0 for an encoder that takes texts). */
  truncated: number;
  /** Present when returnVecs was set. */
  vectors?: Matrix;
}
