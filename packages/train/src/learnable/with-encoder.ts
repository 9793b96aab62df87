import { join } from 'node:path';
import { LibvqError, checkMatrix, invalidArgument } from '@libvq/index-core';
import type { Matrix, SearchParams, SearchResult } from '@libvq/index-core';
import { Encoder, type BaseEncoder, type Tower } from '@libvq/encoder';
import { readTokens } from '@libvq/dataset';
import { decodeSafetensors, encodeSafetensors, tensor, type Tensor } from '../checkpoint/safetensors.js';
import { readFileChecked } from '../checkpoint/files.js';
import { readManifest } from '../checkpoint/learnable-checkpoint.js';
import { HeadTower } from '../tower/head-tower.js';
import { isTrainableTower, type TrainableTower } from '../tower/types.js';
import { embedTokenRows, tokenBatchOf as batchOf, type QueryTokens } from '../tower/embed-tokens.js';
import type { FitReport } from './fit.js';
import { LearnableIndex, type CreateLearnableIndexOptions, type LearnableFitOptions } from './learnable-index.js';

export type { QueryTokens } from '../tower/embed-tokens.js';

/** LibVQ's fix_emb: which stored embeddings stay fixed. 'doc' (default): the query tower trains, documents keep theirs. */
export type FixEmb = 'doc' | 'query' | 'query, doc' | '';

export interface CreateWithEncoderOptions extends CreateLearnableIndexOptions {
  encoder: BaseEncoder;
  /**
   * The query tower to train. Default: the encoder's query tower when it implements TrainableTower (e.g. a
   * GloveTower), else a HeadTower (linear head) over it — the frozen-ONNX case.
   */
  queryTower?: TrainableTower;
}

export interface WithEncoderFitOptions extends Omit<LearnableFitOptions, 'queryEmbeddings' | 'lr'> {
  /** The original (teacher) query embeddings; computed with the untrained tower when absent. */
  queryEmbeddings?: Matrix;
  /** A preprocessed data directory (preprocessData) holding `{queryPrefix}.tokens.arrow`. */
  queryDataDir?: string;
  /** Default 'train-queries'. */
  queryPrefix?: string;
  /** Token rows given directly instead of queryDataDir. */
  queryTokens?: QueryTokens;
  /** Tokens per query kept (longer rows are cut at this length). Default 32 (LibVQ). */
  maxQueryLength?: number;
  fixEmb?: FixEmb;
  /** Learning rates per group; the encoder's is the tower's own (set when the tower is built). */
  lr?: { codebooks?: number; centroids?: number; rotation?: number };
}

const TOWER_FILE = 'query-tower.safetensors';

/**
 * LibVQ's LearnableIndexWithEncoder: a learnable index plus an encoder whose query tower trains jointly with
 * it (create → fit → encode → search → save / load).
 */
export class LearnableIndexWithEncoder {
  constructor(
    readonly learnable: LearnableIndex,
    readonly encoder: BaseEncoder,
    readonly queryTower: TrainableTower,
  ) {
    if (queryTower.dim !== learnable.parts.dIn) {
      throw new LibvqError('DIMENSION_MISMATCH', `query tower gives ${queryTower.dim}-d embeddings, the index takes ${learnable.parts.dIn}-d`);
    }
  }

  static create(o: CreateWithEncoderOptions): LearnableIndexWithEncoder {
    if (o.encoder == null) throw invalidArgument('encoder', 'a BaseEncoder', o.encoder);
    const li = LearnableIndex.create(o);
    return new LearnableIndexWithEncoder(li, o.encoder, o.queryTower ?? defaultQueryTower(o.encoder));
  }

  get index(): LearnableIndex {
    return this.learnable;
  }

  async fit(o: WithEncoderFitOptions): Promise<FitReport> {
    const fixEmb = o.fixEmb ?? 'doc';
    if (!['doc', 'query', 'query, doc', ''].includes(fixEmb)) throw invalidArgument('fixEmb', "'doc', 'query', 'query, doc' or ''", fixEmb);
    if (fixEmb === 'query' || fixEmb === '') {
      throw new LibvqError('UNSUPPORTED', `fixEmb '${fixEmb}': training the document tower (and re-encoding every document) is not implemented; use 'doc' or 'query, doc'`);
    }
    const tokens = o.queryTokens ?? (o.queryDataDir ? await readTokens(o.queryDataDir, o.queryPrefix ?? 'train-queries') : null);
    if (fixEmb === 'query, doc') {
      if (!o.queryEmbeddings) throw invalidArgument('queryEmbeddings', "the stored query embeddings (fixEmb 'query, doc' trains the index only)", undefined);
      return this.learnable.fit({ ...o, queryEmbeddings: o.queryEmbeddings });
    }
    if (!tokens) throw invalidArgument('queryDataDir / queryTokens', 'the training queries as tokens (the query tower trains)', undefined);
    const maxLen = o.maxQueryLength ?? 32;
    if (!Number.isInteger(maxLen) || maxLen < 1) throw invalidArgument('maxQueryLength', 'a positive integer', maxLen);
    const teacher = o.queryEmbeddings ?? (await this.encodeTokens(tokens, { maxQueryLength: maxLen, signal: o.signal }));
    checkMatrix(teacher, 'queryEmbeddings', this.queryTower.dim);
    if (teacher.rows !== tokens.rows) throw new LibvqError('DIMENSION_MISMATCH', `queryEmbeddings: ${teacher.rows} rows for ${tokens.rows} token rows`);
    const tower = this.queryTower;
    return this.learnable.fitWithQueryTower({ ...o, queryEmbeddings: teacher }, {
      forward: (rows) => tower.forward(batchOf(tokens, rows, maxLen)),
      backward: (g) => tower.backward(g),
      step: (f) => tower.step(f),
    });
  }

  /** Re-embeds token rows with the (trained) query tower: LibVQ's encode step. */
  async encodeTokens(tokens: QueryTokens, o: { maxQueryLength?: number; batchSize?: number; signal?: AbortSignal } = {}): Promise<Matrix> {
    return embedTokenRows(this.queryTower, tokens, o);
  }

  search(queries: Matrix, params: SearchParams): SearchResult {
    return this.learnable.search(queries, params);
  }

  /** The index checkpoint (index.faiss, tensors, manifest) plus `query-tower.safetensors` (the tower's parameters). */
  save(dir: string): void {
    const t: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(this.queryTower.parameters())) t[k] = tensor(v, [v.length]); // in its own dtype, so a reload is exact
    this.learnable.save(dir, {
      files: { [TOWER_FILE]: encodeSafetensors(t, { format: 'libvq-ts.query-tower' }) },
      manifest: { queryTower: this.queryTower.describe?.() ?? 'custom', encoder: this.encoder.describe() },
    });
  }

  /**
   * Loads a checkpoint saved by save(). `queryTower` must be built like the saved one (same kind, same shapes):
   * its parameters are overwritten with the saved ones. Default: the one create() would pick for `encoder`.
   */
  static load(dir: string, o: { encoder: BaseEncoder; queryTower?: TrainableTower }): LearnableIndexWithEncoder {
    const m = readManifest(dir);
    if (!m.files[TOWER_FILE]) throw new LibvqError('BAD_FILE', `${join(dir, 'manifest.json')}: no ${TOWER_FILE} (saved by LearnableIndex, not LearnableIndexWithEncoder?)`);
    const file = join(dir, TOWER_FILE);
    const dec = decodeSafetensors(readFileChecked(dir, TOWER_FILE, m.files[TOWER_FILE]), file);
    const tower = o.queryTower ?? defaultQueryTower(o.encoder);
    const params = tower.parameters();
    for (const [k, v] of Object.entries(params)) {
      const x = dec.tensors[k];
      if (!x || x.data.length !== v.length) throw new LibvqError('BAD_FILE', `${file}: tensor ${k} ${x ? `has ${x.data.length} values` : 'is missing'}, the query tower's has ${v.length}`);
      if (x.dtype !== (v instanceof Float64Array ? 'F64' : 'F32')) throw new LibvqError('BAD_FILE', `${file}: tensor ${k} is ${x.dtype}, the query tower keeps it as ${v.constructor.name}`);
      v.set(x.data as Float32Array);
    }
    for (const k of Object.keys(dec.tensors)) if (!(k in params)) throw new LibvqError('BAD_FILE', `${file}: tensor ${k} has no parameter in the query tower (${tower.describe?.() ?? 'custom'})`);
    return new LearnableIndexWithEncoder(LearnableIndex.load(dir), o.encoder, tower);
  }
}

function defaultQueryTower(encoder: BaseEncoder): TrainableTower {
  const q: unknown = encoder instanceof Encoder ? encoder.queryEncoder : encoder;
  if (isTrainableTower(q)) return q;
  if (encoder instanceof Encoder) return new HeadTower(encoder.queryEncoder);
  const e = encoder;
  const asTower: Tower = { dim: e.dim, embed: (b) => e.queryEmb(b), describe: () => e.describe(), normalized: () => e.normalized() };
  return new HeadTower(asTower);
}
