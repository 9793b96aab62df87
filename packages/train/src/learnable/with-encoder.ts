import { LibvqError } from '@libvq/index-core';
import { checkMatrix, invalidArgument } from '@libvq/index-core/util';
import type { Matrix, SearchParams, SearchResult } from '@libvq/index-core';
import { Encoder, type BaseEncoder, type Tower } from '@libvq/encoder';
import { readTokens } from '@libvq/dataset';
import { readManifest } from '../checkpoint/learnable-checkpoint.js';
import { readVersion } from '../checkpoint/versioned-dir.js';
import { encodeTowerParameters, loadTowerParameters } from '../checkpoint/tower-files.js';
import type { TrainState } from '../checkpoint/train-state.js';
import { HeadTower } from '../tower/head-tower.js';
import { isTrainableTower, type TrainableTower } from '../tower/types.js';
import { embedTokenRows, tokenBatchOf, type QueryTokens } from '../tower/embed-tokens.js';
import type { FitReport, TowerHook } from './fit.js';
import { LearnableIndex, type CreateLearnableIndexOptions, type FromFactoryOptions, type LearnableFitOptions } from './learnable-index.js';

export type { QueryTokens } from '../tower/embed-tokens.js';

/**
 * LibVQ's fix_emb: which stored embeddings stay fixed. 'doc' (default): the query tower trains, documents keep
 * theirs; 'query': the document tower trains, queries keep theirs; 'query, doc': the index only; '': both towers.
 * When the document tower trains, every document is re-encoded at the end (writeBack 'reencode', the only one
 * that fits new document vectors), and codeAssignment defaults to 'nearest' so that training scores the codes
 * the write-back will choose (on Cranfield at 4 bytes: dev MRR@10 0.242 / R@100 0.408 with 'nearest' against
 * 0.201 / 0.354 with fixed codes; see benchmarks/src/train-cranfield-fix-emb.ts).
 */
export type FixEmb = 'doc' | 'query' | 'query, doc' | '';
const FIX_EMB: readonly FixEmb[] = ['doc', 'query', 'query, doc', ''];

export interface CreateWithEncoderOptions extends CreateLearnableIndexOptions {
  encoder: BaseEncoder;
  /**
   * The query tower to train. Default: the encoder's query tower when it implements TrainableTower (e.g. an
   * EmbeddingBagTower), else a HeadTower (linear head) over it — the frozen-ONNX case.
   */
  queryTower?: TrainableTower;
  /**
   * The document tower to train (fixEmb 'query' or ''). Default: the encoder's doc tower when it implements
   * TrainableTower, else a HeadTower over it (a bag-of-words ONNX encoder such as glove-100: pass an
   * EmbeddingBagTower over its embedding table to train its word vectors instead). When both towers train they must be
   * separate objects with separate parameters.
   */
  docTower?: TrainableTower;
}

export interface WithEncoderFitOptions extends Omit<LearnableFitOptions, 'queryEmbeddings' | 'lr'> {
  /** The original (teacher) query embeddings; computed with the untrained tower when absent (required when the query tower is fixed). */
  queryEmbeddings?: Matrix;
  /** A preprocessed data directory (preprocessData) holding `{queryPrefix}.tokens.arrow`. */
  queryDataDir?: string;
  /** Default 'train-queries'. */
  queryPrefix?: string;
  /** Token rows given directly instead of queryDataDir. */
  queryTokens?: QueryTokens;
  /** Tokens per query kept (longer rows are cut at this length). Default 32 (LibVQ). */
  maxQueryLength?: number;
  /** A preprocessed data directory holding `{docPrefix}.tokens.arrow` (the document tower trains on them). */
  docDataDir?: string;
  /** Default 'docs'. */
  docPrefix?: string;
  /** Document token rows given directly instead of docDataDir; row i = document id i. */
  docTokens?: QueryTokens;
  /** Tokens per document kept. Default 256 (LibVQ). */
  maxDocLength?: number;
  fixEmb?: FixEmb;
  /** Learning rates per group; the encoder's is the tower's own (set when the tower is built). */
  lr?: { codebooks?: number; centroids?: number; rotation?: number };
  /** Progress of re-encoding every document with the trained document tower (after training, before the write-back). */
  onReencodeProgress?: (done: number, total: number) => void;
}

export interface WithEncoderFitReport extends FitReport {
  /** Every document re-encoded by the trained document tower (what the index now holds); null when it did not train. */
  docEmbeddings: Matrix | null;
}

const QUERY_TOWER_FILE = 'query-tower.safetensors';
const DOC_TOWER_FILE = 'doc-tower.safetensors';

/**
 * LibVQ's LearnableIndexWithEncoder: a learnable index plus an encoder whose towers train jointly with it
 * (create → fit → encode → search → save / load).
 */
export class LearnableIndexWithEncoder {
  readonly docTower: TrainableTower;
  /**
   * The document embeddings the index was last written from: after a fit that trained the document tower, every
   * document re-encoded by it (use these, not the original ones, for anything that must match the index).
   * Null while the document tower has not trained (the index holds the embeddings it was built or fitted with).
   */
  docEmbeddings: Matrix | null = null;
  /** Whether the document tower trained (in this object's fits or the loaded checkpoint's): save() then stores it. */
  private docTowerTrained = false;

  constructor(
    readonly learnable: LearnableIndex,
    readonly encoder: BaseEncoder,
    readonly queryTower: TrainableTower,
    docTower?: TrainableTower,
  ) {
    this.docTower = docTower ?? defaultTower(encoder, 'doc');
    for (const [role, t] of [['query', queryTower], ['document', this.docTower]] as const) {
      if (t.dim !== learnable.parts.dIn) {
        throw new LibvqError('DIMENSION_MISMATCH', `${role} tower gives ${t.dim}-d embeddings, the index takes ${learnable.parts.dIn}-d`);
      }
    }
  }

  static create(o: CreateWithEncoderOptions): LearnableIndexWithEncoder {
    if (o.encoder == null) throw invalidArgument('encoder', 'a BaseEncoder', o.encoder);
    const li = LearnableIndex.create(o);
    return new LearnableIndexWithEncoder(li, o.encoder, o.queryTower ?? defaultTower(o.encoder, 'query'), o.docTower);
  }

  /** create() in faiss's words: the index of LearnableIndex.fromFactory, with the encoder's towers. */
  static fromFactory(o: FromFactoryOptions & Pick<CreateWithEncoderOptions, 'encoder' | 'queryTower' | 'docTower'>): LearnableIndexWithEncoder {
    if (o.encoder == null) throw invalidArgument('encoder', 'a BaseEncoder', o.encoder);
    const li = LearnableIndex.fromFactory(o);
    return new LearnableIndexWithEncoder(li, o.encoder, o.queryTower ?? defaultTower(o.encoder, 'query'), o.docTower);
  }

  get index(): LearnableIndex {
    return this.learnable;
  }

  async fit(o: WithEncoderFitOptions): Promise<WithEncoderFitReport> {
    const fixEmb = o.fixEmb ?? 'doc';
    if (!FIX_EMB.includes(fixEmb)) throw invalidArgument('fixEmb', "'doc', 'query', 'query, doc' or ''", fixEmb);
    const trainQ = fixEmb === 'doc' || fixEmb === '';
    const trainD = fixEmb === 'query' || fixEmb === '';
    if (!trainQ && !trainD) {
      if (!o.queryEmbeddings) throw invalidArgument('queryEmbeddings', "the stored query embeddings (fixEmb 'query, doc' trains the index only)", undefined);
      return { ...this.learnable.fitSync({ ...o, queryEmbeddings: o.queryEmbeddings }), docEmbeddings: null };
    }
    const hooks: { query?: TowerHook; doc?: TowerHook } = {};
    let teacher: Matrix;
    if (trainQ) {
      const tokens = o.queryTokens ?? (o.queryDataDir ? await readTokens(o.queryDataDir, o.queryPrefix ?? 'train-queries') : null);
      if (!tokens) throw invalidArgument('queryDataDir / queryTokens', 'the training queries as tokens (the query tower trains)', undefined);
      const maxLen = checkLength(o.maxQueryLength ?? 32, 'maxQueryLength');
      teacher = o.queryEmbeddings ?? (await this.encodeTokens(tokens, { maxQueryLength: maxLen, signal: o.signal }));
      checkMatrix(teacher, 'queryEmbeddings', this.queryTower.dim);
      if (teacher.rows !== tokens.rows) throw new LibvqError('DIMENSION_MISMATCH', `queryEmbeddings: ${teacher.rows} rows for ${tokens.rows} token rows`);
      hooks.query = towerHook(this.queryTower, tokens, maxLen, 'query', !!o.checkpointDir);
    } else {
      if (!o.queryEmbeddings) throw invalidArgument('queryEmbeddings', `the stored query embeddings (fixEmb '${fixEmb}' keeps them)`, undefined);
      teacher = o.queryEmbeddings;
    }
    let docsAfter: (() => Promise<Matrix>) | undefined;
    if (trainD) {
      const tokens = o.docTokens ?? (o.docDataDir ? await readTokens(o.docDataDir, o.docPrefix ?? 'docs') : null);
      if (!tokens) throw invalidArgument('docDataDir / docTokens', `the documents as tokens (fixEmb '${fixEmb}': the document tower trains)`, undefined);
      const maxLen = checkLength(o.maxDocLength ?? 256, 'maxDocLength');
      if (tokens.rows !== this.learnable.ntotal) {
        throw new LibvqError('DIMENSION_MISMATCH', `document tokens: ${tokens.rows} rows, the index holds ${this.learnable.ntotal} documents (row i must be document id i)`);
      }
      if (trainQ) checkSeparateTowers(this.queryTower, this.docTower);
      hooks.doc = towerHook(this.docTower, tokens, maxLen, 'document', !!o.checkpointDir);
      docsAfter = () => this.encodeDocTokens(tokens, { maxDocLength: maxLen, signal: o.signal, onProgress: o.onReencodeProgress });
    }
    // codeAssignment defaults to 'nearest' when the document tower trains (resolveFitOptions, in fitWithTowers).
    const { report, docEmbeddings } = await this.learnable.fitWithTowers({ ...o, queryEmbeddings: teacher }, hooks, docsAfter, {
      fixEmb,
      encoder: this.encoder.describe(),
      queryTower: trainQ ? describeTower(this.queryTower) : null,
      docTower: trainD ? describeTower(this.docTower) : null,
    });
    if (trainD) {
      this.docEmbeddings = docEmbeddings;
      this.docTowerTrained = true;
    }
    return { ...report, docEmbeddings: trainD ? docEmbeddings : null };
  }

  /** Re-embeds token rows with the (trained) query tower: LibVQ's encode step. */
  async encodeTokens(tokens: QueryTokens, o: { maxQueryLength?: number; batchSize?: number; signal?: AbortSignal } = {}): Promise<Matrix> {
    return embedTokenRows(this.queryTower, tokens, o);
  }

  /** Embeds document token rows with the (trained) document tower (default 256 tokens per document, LibVQ's). */
  async encodeDocTokens(
    tokens: QueryTokens,
    o: { maxDocLength?: number; batchSize?: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<Matrix> {
    return embedTokenRows(this.docTower, tokens, { maxLength: o.maxDocLength ?? 256, batchSize: o.batchSize, signal: o.signal, onProgress: o.onProgress });
  }

  /** Searches the index with query embeddings (encodeTokens / encodeTexts), on worker threads. */
  search(queries: Matrix, params: SearchParams): Promise<SearchResult> {
    return this.learnable.search(queries, params);
  }

  searchSync(queries: Matrix, params: SearchParams): SearchResult {
    return this.learnable.searchSync(queries, params);
  }

  /**
   * The index checkpoint (index.faiss, tensors, manifest) plus `query-tower.safetensors` (the query tower's
   * parameters) and, once the document tower has trained, `doc-tower.safetensors`.
   */
  save(dir: string): void {
    const files: Record<string, Uint8Array> = { [QUERY_TOWER_FILE]: encodeTowerParameters(this.queryTower, 'query') };
    if (this.docTowerTrained) files[DOC_TOWER_FILE] = encodeTowerParameters(this.docTower, 'doc');
    this.learnable.save(dir, {
      files,
      manifest: {
        queryTower: describeTower(this.queryTower),
        docTower: this.docTowerTrained ? describeTower(this.docTower) : null,
        encoder: this.encoder.describe(),
      },
    });
  }

  /**
   * Loads a checkpoint saved by save(). The towers must be built like the saved ones (same kind, same shapes):
   * their parameters are overwritten with the saved ones. Default: the ones create() would pick for `encoder`.
   */
  static load(dir: string, o: { encoder: BaseEncoder; queryTower?: TrainableTower; docTower?: TrainableTower }): LearnableIndexWithEncoder {
    // all files from one version of the checkpoint, even while another process saves to `dir`
    return readVersion(dir, (v) => LearnableIndexWithEncoder.loadAt(v, o));
  }

  private static loadAt(dir: string, o: { encoder: BaseEncoder; queryTower?: TrainableTower; docTower?: TrainableTower }): LearnableIndexWithEncoder {
    const m = readManifest(dir);
    if (!m.files[QUERY_TOWER_FILE]) throw new LibvqError('BAD_FILE', `${dir}/manifest.json: no ${QUERY_TOWER_FILE} (saved by LearnableIndex, not LearnableIndexWithEncoder?)`);
    const queryTower = o.queryTower ?? defaultTower(o.encoder, 'query');
    loadTowerParameters(dir, m, QUERY_TOWER_FILE, queryTower, 'query');
    const docTower = o.docTower ?? defaultTower(o.encoder, 'doc');
    const hasDoc = m.files[DOC_TOWER_FILE] !== undefined;
    if (hasDoc) loadTowerParameters(dir, m, DOC_TOWER_FILE, docTower, 'doc');
    const lie = new LearnableIndexWithEncoder(LearnableIndex.load(dir), o.encoder, queryTower, docTower);
    lie.docTowerTrained = hasDoc;
    return lie;
  }

  /**
   * Opens a per-epoch checkpoint written by fit({checkpointDir}). Build the towers as for the interrupted run
   * (same kind, same starting parameters), then `model.fit({...sameOptions, resumeFrom: state})`: the towers'
   * parameters and optimiser moments come from the state, and the run ends exactly as an uninterrupted one.
   */
  static resume(dir: string, o: { encoder: BaseEncoder; queryTower?: TrainableTower; docTower?: TrainableTower }): { model: LearnableIndexWithEncoder; state: TrainState } {
    const { index, state } = LearnableIndex.resume(dir);
    return { model: new LearnableIndexWithEncoder(index, o.encoder, o.queryTower ?? defaultTower(o.encoder, 'query'), o.docTower), state };
  }
}

function checkLength(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw invalidArgument(name, 'a positive integer', n);
  return n;
}

function describeTower(t: TrainableTower): string {
  return t.describe?.() ?? 'custom';
}

/** fit's view of a tower over token rows (rows of the batch -> their tokens, cut at maxLen). */
function towerHook(tower: TrainableTower, tokens: QueryTokens, maxLen: number, role: string, checkpoint: boolean): TowerHook {
  if (checkpoint && (!tower.exportState || !tower.importState)) {
    throw invalidArgument('checkpointDir', `a ${role} tower with exportState() / importState() (per-epoch checkpoints resume its training); ${describeTower(tower)} has none`, describeTower(tower));
  }
  return {
    forward: (rows) => tower.forward(tokenBatchOf(tokens, rows, maxLen)),
    backward: (g) => tower.backward(g),
    step: (f) => tower.step(f),
    exportState: tower.exportState ? () => tower.exportState!() : undefined,
    importState: tower.importState ? (s) => tower.importState!(s) : undefined,
  };
}

/**
 * Both towers train in one step: each remembers its own forward pass and owns an optimiser, so they must be
 * different objects over different arrays (a shared table would be stepped twice per batch).
 */
function checkSeparateTowers(q: TrainableTower, d: TrainableTower): void {
  if (q === d) {
    throw invalidArgument('docTower', "a tower other than the query tower (fixEmb '' trains both; e.g. a second EmbeddingBagTower over a copy of the table)", describeTower(d));
  }
  const buffers = new Set(Object.values(q.parameters()).map((a) => a.buffer));
  for (const [k, a] of Object.entries(d.parameters())) {
    if (buffers.has(a.buffer)) throw invalidArgument('docTower', `parameters of its own (its ${k} shares memory with the query tower's)`, describeTower(d));
  }
}

function defaultTower(encoder: BaseEncoder, role: 'query' | 'doc'): TrainableTower {
  if (encoder instanceof Encoder) {
    const t = role === 'query' ? encoder.queryEncoder : encoder.docEncoder;
    return isTrainableTower(t) ? t : new HeadTower(t);
  }
  if (isTrainableTower(encoder)) return encoder;
  const e = encoder;
  const asTower: Tower = { dim: e.dim, embed: (b) => (role === 'query' ? e.queryEmb(b) : e.docEmb(b)), describe: () => e.describe(), normalized: () => e.normalized() };
  return new HeadTower(asTower);
}
