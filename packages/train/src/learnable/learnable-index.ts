import { LibvqError, defaultTrainingSize, describeIndex, indexFactory, toMatrix, type FactoryOptions } from '@libvq/index-core';
import { checkMatrix, checkMetricOrCosine, invalidArgument, sliceRows, throwIfAborted, type MetricOrCosine } from '@libvq/index-core/util';
import type { Index, LongOperationOptions, Matrix, SearchParams, SearchResult, VectorsInput } from '@libvq/index-core';
import { defaultBatchRows, sampleVectors, type VectorSource } from '@libvq/dataset';
import { readIndexCheckpoint, writeIndexCheckpoint, type CheckpointExtra, type IndexCheckpointData } from '../checkpoint/learnable-checkpoint.js';
import { readTrainCheckpoint, writeTrainCheckpoint, type TrainState } from '../checkpoint/train-state.js';
import { orthogonalityError } from '../optim/cayley.js';
import { fitIndexParams, fitIndexParamsAsync, fitWithTowers, type FitReport, type IndexFitOptions, type TowerHook, type TowerHooks } from './fit.js';
import { checkDocumentRows, docBlockRows, documentBlock, isDocumentRows, type DocEmbeddings, type DocumentRows } from './doc-rows.js';
import { resolveFitOptions, type ResolvedFitOptions, type WriteBack } from './fit-options.js';
import { methodToFactory } from './methods.js';
import { inspectIndex, readAssignments, type IndexParts, type LearnableMethod } from './structure.js';

/** Vector components encoded per slice of an asynchronous add (a few ms of work). */
const ADD_SLICE_WORK = 1 << 18;

export type { LearnableMethod } from './structure.js';
export type { WriteBack } from './fit-options.js';

export interface CreateLearnableIndexOptions extends LongOperationOptions {
  /** The documents: a Matrix, Float32Array[] rows, or an Arrow Table / Vector (see VectorsInput). */
  docEmbeddings: VectorsInput;
  /** Arrow tables: the vector column (default: "embedding", else "vector", else the only FixedSizeList<Float32>). */
  column?: string;
  indexMethod: LearnableMethod;
  ivfCentersNum?: number;
  subvectorNum?: number;
  subvectorBits?: number;
  /**
   * LibVQ's dist_mode: 'ip' (default, as in LibVQ) or 'l2'; also 'cosine' (an L2norm transform before an 'ip'
   * index, see indexFactory; the index trains alone, without a tower).
   */
  distMode?: MetricOrCosine;
  seed?: number;
  backend?: string;
  /** Training knobs of the OPQ rotation (fromFactory's). */
  opq?: FactoryOptions['opq'];
  /** Threads of the index's training, adds and searches (fromFactory's; the bytes are the same for any value). */
  threads?: number;
}

/**
 * LearnableIndex.fromFactory's options: the index in faiss's words (factory string, metric, training knobs). Not
 * exported by name from the package (the API budget): `Parameters<typeof LearnableIndex.fromFactory>[0]`.
 */
export interface FromFactoryOptions extends LongOperationOptions {
  /** The documents: a Matrix, Float32Array[] rows, or an Arrow Table / Vector (see VectorsInput). */
  docEmbeddings: VectorsInput;
  /** Arrow tables: the vector column (default: "embedding", else "vector", else the only FixedSizeList<Float32>). */
  column?: string;
  /** A faiss factory string of a learnable structure: "IVF1024,Flat", "IVF1024,PQ20x8", "OPQ20,IVF1024,PQ20x8", "PQ20x8", "OPQ20,PQ20x8". */
  factory: string;
  /** 'ip' (default), 'l2' or 'cosine' (indexFactory's). */
  metric?: MetricOrCosine;
  seed?: number;
  backend?: string;
  /** Training knobs the factory string does not carry (OPQ iterations and training points: FactoryOptions). */
  opq?: FactoryOptions['opq'];
  /**
   * Threads of the index (k-means, PQ and OPQ training, adds, searches, the virtual labels' search); it keeps
   * them afterwards (`index.threads`). The index bytes are the same for any value. Default 1.
   */
  threads?: number;
}

export interface CreateFromSourceOptions extends Omit<CreateLearnableIndexOptions, 'docEmbeddings'> {
  /** Documents the index trains on (a seeded sample of the source); default: defaultTrainingSize of the index. */
  trainSize?: number;
  /** Documents read and added at a time (default: defaultBatchRows, about 64 MB of vectors). */
  batchRows?: number;
}

/**
 * LibVQ's names mapped to faiss's, the one place they meet (with methodToFactory): index_method and its sizes give
 * the factory string, dist_mode the metric.
 */
function methodFactory(o: Omit<CreateLearnableIndexOptions, 'docEmbeddings'>): { factory: string; metric: MetricOrCosine } {
  const metric = checkMetricOrCosine(o.distMode ?? 'ip', 'distMode');
  if ((o.indexMethod as string) === 'flat') throw invalidArgument('indexMethod', "a learnable method ('ivf', 'ivf_pq', 'ivf_opq', 'pq', 'opq')", o.indexMethod);
  const factory = methodToFactory({
    indexMethod: o.indexMethod, ivfCentersNum: o.ivfCentersNum, subvectorNum: o.subvectorNum, subvectorBits: o.subvectorBits,
  });
  return { factory, metric };
}

/** The faiss-style index for a LibVQ method (untrained). */
function methodIndex(dim: number, o: Omit<CreateLearnableIndexOptions, 'docEmbeddings'>): Index {
  const { factory, metric } = methodFactory(o);
  return indexFactory(dim, factory, metric, o.backend);
}

export interface LearnableFitOptions extends IndexFitOptions {
  /**
   * How the trained index is written back. 'keep' (default with fixed codes, JPQ): every document keeps its
   * list and its codes, the learned centroids / codebooks / rotation replace the old ones. 'reencode' (LibVQ):
   * every document is re-assigned to its nearest learned centroid and re-encoded by nearest learned codeword.
   * Default: 'keep' for codeAssignment 'fixed', 'reencode' for 'nearest'.
   */
  writeBack?: WriteBack;
  /**
   * Per-epoch checkpoints: after every epoch the index and the training state are saved to this directory
   * (replaced atomically); `LearnableIndex.resume(dir)` continues from it.
   */
  checkpointDir?: string;
  /**
   * Recorded under manifest.extra of every per-epoch checkpoint, e.g. the command line that started the run (so
   * that a resume can check it is given the same options: `libvq train --resume`).
   */
  checkpointManifest?: Record<string, unknown>;
}

/**
 * An index-core index (any LibVQ method: ivf, ivf_pq, ivf_opq, pq, opq) whose IVF centroids, PQ codebooks and
 * OPQ rotation are trained by distillation or a contrastive loss. The wrapped `index` is always a complete,
 * searchable index: training updates its parameters in place and `fit` ends with the write-back.
 */
export class LearnableIndex {
  readonly index: Index;
  readonly parts: IndexParts;
  /**
   * The index that places documents: a frozen copy of the index's parameters (index.cloneEmpty()) taken before
   * training. With the keep-the-trained-assignments write-back the stored codes were chosen by the index *before*
   * training, and the learned codebooks are tuned to those codes, not to nearest-codeword codes under themselves
   * (re-encoding by nearest learned codeword loses most of the gain). A document added later must be encoded by
   * the same rule as the stored ones, so every add() is `index.addEncoded(placer.encode(docs))`. After a re-encode
   * write-back the placer is a copy of the trained parameters.
   */
  placer: Index;

  /**
   * `parts`: the index's parts when they were already found and checked (inspectIndex, and readAssignments
   * passed), as a checkpoint reader does; otherwise they are found here. `placer`: see the field (default: a
   * copy of the index as it is now).
   */
  constructor(index: Index, placer?: Index, parts?: IndexParts) {
    this.index = index;
    if (parts && parts.index !== index) throw invalidArgument('parts', 'the parts of this index (inspectIndex(index))', 'the parts of another index');
    this.parts = parts ?? inspectIndex(index);
    if (!parts) readAssignments(this.parts); // validates that ids are the rows 0..n-1
    this.placer = placer ?? index.cloneEmpty();
  }

  /** A LearnableIndex of a checkpoint's plain data (readIndexCheckpoint, readTrainCheckpoint). */
  static fromCheckpoint(data: IndexCheckpointData): LearnableIndex {
    return new LearnableIndex(data.index, data.placer, data.parts);
  }

  /**
   * LibVQ's construction step in LibVQ's words (index_method, ivf_centers_num, subvector_num, subvector_bits,
   * dist_mode): fromFactory with the factory string and metric they name.
   */
  static create(o: CreateLearnableIndexOptions): LearnableIndex {
    return LearnableIndex.fromFactory({ ...o, ...methodFactory(o) });
  }

  /**
   * The construction step in faiss's words: indexFactory(d, factory, metric), trained on the documents, which are
   * then added. The structure must be learnable (inspectIndex): IVF, IVF-PQ, PQ, each optionally after an OPQ
   * rotation (not OPQ,IVF,Flat), and optionally after an L2norm (metric 'cosine').
   */
  static fromFactory(o: FromFactoryOptions): LearnableIndex {
    const docs = toMatrix(o.docEmbeddings, { name: 'docEmbeddings', column: o.column });
    checkMatrix(docs, 'docEmbeddings');
    const index = indexFactory(docs.dim, o.factory, o.metric ?? 'ip', o.backend, { opq: o.opq });
    if (!index.parameters().centroids && !index.parameters().codebooks) {
      // Before training, not after it: a Flat index has nothing to learn (inspectIndex would say so only then).
      throw invalidArgument('factory', 'a learnable index (IVF, IVF-PQ or PQ, optionally after OPQ)', o.factory);
    }
    if (o.threads !== undefined) {
      if (!Number.isInteger(o.threads) || o.threads < 1) throw invalidArgument('threads', 'a positive integer', o.threads);
      index.threads = o.threads;
    }
    index.trainSync(docs, { seed: o.seed, signal: o.signal, onProgress: o.onProgress });
    index.addSync(docs, undefined, { signal: o.signal, onProgress: o.onProgress }); // stage 'add'
    return new LearnableIndex(index);
  }

  /**
   * create() for a corpus read batch by batch (a VectorSource: @libvq/dataset's openVectors over .npy, .fvecs,
   * .memmap or Arrow): the index trains on a seeded sample of `trainSize` documents (default: faiss's rule for
   * the method's index, defaultTrainingSize) and the documents are added `batchRows` at a time, so memory is the
   * index, the sample and one batch, whatever the corpus size. With trainSize ≥ the corpus it is create(), byte
   * for byte.
   */
  static async createFromSource(src: VectorSource, o: CreateFromSourceOptions): Promise<LearnableIndex> {
    const index = methodIndex(src.dim, o);
    const trainSize = o.trainSize ?? defaultTrainingSize(index);
    if (!Number.isInteger(trainSize) || trainSize < 1) throw invalidArgument('trainSize', 'a positive integer', trainSize);
    const seed = o.seed ?? 1234;
    await index.train(await sampleVectors(src, trainSize, seed), { seed: o.seed, signal: o.signal, onProgress: o.onProgress });
    for await (const { matrix } of src.batches(o.batchRows ?? defaultBatchRows(src.dim))) {
      throwIfAborted(o.signal, 'LearnableIndex.createFromSource');
      await index.add(matrix, { signal: o.signal });
    }
    return new LearnableIndex(index);
  }

  get method(): LearnableMethod {
    return this.parts.method;
  }

  get ntotal(): number {
    return this.index.ntotal;
  }

  /**
   * Trains the index, then writes it back (see LearnableFitOptions.writeBack), giving the event loop a turn between
   * steps and write-back slices: the parameters and codes of fitSync, byte for byte.
   */
  async fit(o: LearnableFitOptions): Promise<FitReport> {
    const { opts, resolved } = this.fitSetup(o);
    const report = await fitIndexParamsAsync(this.parts, opts, resolved);
    if (resolved.writeBack === 'reencode') await this.reencodeAsync(o.docEmbeddings, o);
    return report;
  }

  /** fit, on the calling thread without a break (scripts). */
  fitSync(o: LearnableFitOptions): FitReport {
    const { opts, resolved } = this.fitSetup(o);
    const report = fitIndexParams(this.parts, opts, resolved);
    if (resolved.writeBack === 'reencode') this.reencode(o.docEmbeddings, o);
    return report;
  }

  /**
   * fit with trainable towers (LearnableIndexWithEncoder): the trained side's embeddings of each batch come from
   * its tower and the gradient trains it (see fitWithTowers). With a document tower the stored codes were chosen
   * for the old document vectors, so the write-back must re-encode: `docsAfter` gives every document's
   * embedding from the trained tower, and those are re-assigned and re-encoded (LibVQ). Per-epoch checkpoints
   * hold the index and the towers' states (`checkpointManifest` is recorded with them).
   */
  async fitWithTowers(
    o: LearnableFitOptions,
    towers: TowerHooks,
    docsAfter?: () => Promise<Matrix>,
    checkpointManifest: Record<string, unknown> = {},
  ): Promise<{ report: FitReport; docEmbeddings: Matrix }> {
    if (towers.doc && !docsAfter) throw invalidArgument('docsAfter', 'the re-encoding of every document (a document tower trains)', undefined);
    if (isDocumentRows(o.docEmbeddings)) {
      // The towers' report hands back the documents the index holds, as a Matrix (LearnableIndexWithEncoder).
      throw invalidArgument('docEmbeddings', 'a Matrix when towers train (document rows read on demand train the index alone: fit)', 'a row source');
    }
    const docMatrix = o.docEmbeddings;
    const { opts, resolved } = this.fitSetup(o, towers.doc !== undefined, checkpointManifest);
    const report = await fitWithTowers(this.parts, opts, towers, resolved);
    const docs = towers.doc ? await docsAfter!() : docMatrix;
    if (resolved.writeBack === 'reencode') this.reencode(docs, o);
    return { report, docEmbeddings: docs };
  }

  /** fitWithTowers with the query tower only. */
  async fitWithQueryTower(o: LearnableFitOptions, tower: TowerHook): Promise<FitReport> {
    return (await this.fitWithTowers(o, { query: tower })).report;
  }

  /** The fit options resolved once (resolveFitOptions) and the per-epoch checkpoint hook. */
  private fitSetup(o: LearnableFitOptions, docTower = false, checkpointManifest: Record<string, unknown> = {}): { opts: IndexFitOptions; resolved: ResolvedFitOptions } {
    const resolved = resolveFitOptions(o, { docTower });
    const { codeAssignment, writeBack, epochs } = resolved;
    const dir = o.checkpointDir;
    const onEpochEnd = dir
      ? (st: TrainState) => {
          writeTrainCheckpoint(this, dir, st, { ...o.checkpointManifest, ...checkpointManifest, fit: { codeAssignment, writeBack, epochs } });
          o.onEpochEnd?.(st);
        }
      : o.onEpochEnd;
    return { opts: { ...o, onEpochEnd }, resolved };
  }

  /**
   * LibVQ's write-back: every document is re-assigned and re-encoded with the current (trained) parameters, and
   * a copy of those parameters becomes the placer of later documents. Document rows read on demand (DocumentRows)
   * are added a block at a time (docBlockRows), so the corpus is never in memory at once; a document is encoded
   * the same alone or with others, so the index is the one the whole Matrix gives.
   */
  reencode(docEmbeddings: DocEmbeddings, opts: LongOperationOptions = {}): void {
    this.startReencode(docEmbeddings);
    if (!isDocumentRows(docEmbeddings)) {
      this.addSync(docEmbeddings, opts);
      return;
    }
    for (const block of reencodeBlocks(docEmbeddings, opts)) {
      this.index.addEncoded(this.placer.encode(block.rows));
      opts.onProgress?.(block.end, docEmbeddings.rows, 'add');
    }
  }

  /** reencode, adding a slice at a time with a turn of the event loop between slices (add). */
  private async reencodeAsync(docEmbeddings: DocEmbeddings, opts: LongOperationOptions): Promise<void> {
    this.startReencode(docEmbeddings);
    if (!isDocumentRows(docEmbeddings)) {
      await this.add(docEmbeddings, opts);
      return;
    }
    for (const block of reencodeBlocks(docEmbeddings, opts)) {
      await this.add(block.rows); // slices of the block, a turn of the event loop between
      opts.onProgress?.(block.end, docEmbeddings.rows, 'add');
    }
  }

  /** reencode's first half: the check, the current parameters as the placer, the index emptied. */
  private startReencode(docEmbeddings: DocEmbeddings): void {
    if (isDocumentRows(docEmbeddings)) checkDocumentRows(docEmbeddings, 'docEmbeddings', this.parts.dIn);
    else checkMatrix(docEmbeddings, 'docEmbeddings', this.parts.dIn);
    if (docEmbeddings.rows !== this.index.ntotal) {
      throw new LibvqError('DIMENSION_MISMATCH', `reencode: ${docEmbeddings.rows} document embeddings for ${this.index.ntotal} stored documents`);
    }
    this.placer = this.index.cloneEmpty();
    this.index.reset();
  }

  /** Adds documents (ids continue from ntotal), encoded by the placer (see the field). */
  addSync(docs: Matrix, opts: LongOperationOptions = {}): void {
    checkMatrix(docs, 'documents to add', this.parts.dIn);
    this.index.addEncoded(this.placer.encode(docs));
    opts.onProgress?.(docs.rows, docs.rows, 'add');
  }

  /**
   * addSync a slice of rows at a time with a turn of the event loop between slices (the placer encodes on this
   * thread: it holds the parameters the stored codes were chosen with, which differ from the index's after fit).
   */
  async add(docs: Matrix, opts: LongOperationOptions = {}): Promise<void> {
    checkMatrix(docs, 'documents to add', this.parts.dIn);
    const slice = Math.max(1, Math.floor(ADD_SLICE_WORK / Math.max(1, this.parts.dIn)));
    for (let r0 = 0; r0 < docs.rows; r0 += slice) {
      const r1 = Math.min(docs.rows, r0 + slice);
      this.index.addEncoded(this.placer.encode(sliceRows(docs, r0, r1)));
      opts.onProgress?.(r1, docs.rows, 'add');
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** The index's search on worker threads (the event loop stays free). */
  search(queries: VectorsInput, params: SearchParams): Promise<SearchResult> {
    return this.index.search(queries, params);
  }

  searchSync(queries: VectorsInput, params: SearchParams): SearchResult {
    return this.index.searchSync(queries, params);
  }

  /** max |R R^T - I| of the rotation (0 without one). */
  rotationError(): number {
    const r = this.parts.rotation;
    return r ? orthogonalityError(r, this.parts.d, this.parts.dIn) : 0;
  }

  /** Saves a checkpoint directory (see writeIndexCheckpoint in checkpoint/learnable-checkpoint.ts). */
  save(dir: string, extra?: CheckpointExtra): void {
    writeIndexCheckpoint(this, dir, extra);
  }

  /** Loads a checkpoint directory written by save (see readIndexCheckpoint in checkpoint/learnable-checkpoint.ts). */
  static load(dir: string): LearnableIndex {
    return LearnableIndex.fromCheckpoint(readIndexCheckpoint(dir));
  }

  /**
   * Opens a per-epoch checkpoint written by fit({checkpointDir}); continue with
   * `index.fit({...sameOptions, resumeFrom: state})` to finish the run exactly as an uninterrupted one.
   */
  static resume(dir: string): { index: LearnableIndex; state: TrainState } {
    const { index, state } = readTrainCheckpoint(dir);
    return { index: LearnableIndex.fromCheckpoint(index), state };
  }

  /** The faiss factory string of the wrapped index. */
  describe(): string {
    return describeIndex(this.index);
  }
}

/** The document blocks a re-encode adds, in order (docBlockRows each), checking for an abort before each. */
function* reencodeBlocks(docs: DocumentRows, opts: LongOperationOptions): Generator<{ rows: Matrix; end: number }> {
  const step = docBlockRows(docs.dim);
  for (let r0 = 0; r0 < docs.rows; r0 += step) {
    throwIfAborted(opts.signal, 'reencode');
    const end = Math.min(docs.rows, r0 + step);
    yield { rows: documentBlock(docs, r0, end), end };
  }
}
