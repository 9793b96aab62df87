import { extname } from 'node:path';
import { LibvqError, type Matrix } from '@libvq/index-core';
import type { RowIds } from '../arrow/columns.js';
import { type EmbeddingsMetadata, readEmbeddings, writeEmbeddings } from '../arrow/embeddings.js';
import { readFvecs, writeFvecs } from './fvecs.js';
import { readMemmap, writeMemmap } from './memmap.js';
import { readNpy, writeNpy } from './npy.js';

export type VectorFormat = 'arrow' | 'npy' | 'fvecs' | 'memmap';

/** Arrow IPC files and streams are told apart by their first bytes, not by name; ".arrows" is Arrow's name for a stream. */
const EXTENSIONS: Record<string, VectorFormat> = {
  '.arrow': 'arrow',
  '.arrows': 'arrow',
  '.feather': 'arrow',
  '.ipc': 'arrow',
  '.npy': 'npy',
  '.fvecs': 'fvecs',
  '.memmap': 'memmap',
};

/** The vector file format a path's extension names. */
export function vectorFormat(path: string): VectorFormat {
  const f = EXTENSIONS[extname(path).toLowerCase()];
  if (!f) {
    throw new LibvqError(
      'UNSUPPORTED',
      `${path}: unknown vector file extension ${JSON.stringify(extname(path))} (expected ${Object.keys(EXTENSIONS).join(', ')})`,
    );
  }
  return f;
}

export interface ReadVectorsOptions {
  /** Required for .memmap (headerless); elsewhere, checked against the file. */
  dim?: number;
  /** Arrow files: the FixedSizeList<Float32> column (default "embedding", else "vector", else the only such column). */
  column?: string;
}

export interface VectorsFile {
  matrix: Matrix;
  /** Arrow files with an `id` column. */
  ids?: RowIds;
  /** Arrow files: the libvq.* schema metadata. */
  metadata?: EmbeddingsMetadata;
}

/**
 * Reads vectors from .arrow/.arrows/.feather/.ipc (Arrow IPC file or stream, e.g. apache-arrow's tableToIPC
 * output or a LanceDB export; the vector column as `column` describes), .npy (2-D float32/float64), .fvecs or .memmap
 * (headerless float32, needs dim): the one whole-file reader, the CLI's included (openVectors reads the same
 * files a batch at a time). Sizes are verified (truncated files are refused, naming the file) and every value
 * must be finite (a NaN/Inf is reported with its row).
 */
export async function readVectors(path: string, opts: ReadVectorsOptions = {}): Promise<VectorsFile> {
  const format = vectorFormat(path);
  if (format === 'arrow') return readEmbeddings(path, opts);
  const matrix = format === 'npy' ? await readNpy(path) : format === 'fvecs' ? await readFvecs(path) : await readMemmap(path, opts.dim);
  if (opts.dim !== undefined && matrix.dim !== opts.dim) {
    throw new LibvqError('DIMENSION_MISMATCH', `${path}: vectors have dimension ${matrix.dim}, expected ${opts.dim}`);
  }
  return { matrix };
}

export interface WriteVectorsOptions {
  /** Arrow only: the id column. */
  ids?: RowIds;
  /** Arrow only: libvq.* schema metadata. */
  metadata?: EmbeddingsMetadata;
}

/** Writes vectors in the format the extension names (temporary name, then rename). */
export async function writeVectors(path: string, matrix: Matrix, opts: WriteVectorsOptions = {}): Promise<void> {
  const format = vectorFormat(path);
  if (format !== 'arrow' && (opts.ids !== undefined || opts.metadata !== undefined)) {
    throw new LibvqError('UNSUPPORTED', `${path}: ids and metadata can only be stored in an Arrow file (.arrow/.arrows/.feather/.ipc), not .${format}`);
  }
  if (format === 'arrow') await writeEmbeddings(path, matrix, opts);
  else if (format === 'npy') await writeNpy(path, matrix);
  else if (format === 'fvecs') await writeFvecs(path, matrix);
  else await writeMemmap(path, matrix);
}
