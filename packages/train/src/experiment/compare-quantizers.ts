import { IndexFlat, deserializeIndex, serializeIndex, type Matrix } from '@libvq/index-core';
import { invalidArgument, throwIfAborted } from '@libvq/index-core/util';
import type { BaseEncoder } from '@libvq/encoder';
import { evaluateRanking, type OffsetRels } from '@libvq/dataset';
import type { FitReport } from '../learnable/fit.js';
import type { LabelMiningOptions, LabelMiningReport } from '../learnable/virtual-labels.js';
import { LearnableIndex } from '../learnable/learnable-index.js';
import type { RelData } from '../learnable/labels.js';
import { planTraining, type TrainingPlan } from '../learnable/training-plan.js';
import { LearnableIndexWithEncoder } from '../learnable/with-encoder.js';
import type { QueryTokens } from '../tower/embed-tokens.js';
import type { TrainableTower } from '../tower/types.js';

/**
 * The experiment behind `libvq demo` and `pnpm bench cranfield` / `debdesc`: at each byte budget (M sub-vectors of
 * 8 bits, optionally behind an IVF), unsupervised PQ and OPQ against learned OPQ indexes, all scored on judged dev
 * queries next to the dense (exact) row. Kept here so the demo and the benchmarks run the same code with the same
 * settings; the training settings come from planTraining (corpus size) unless given.
 */
export type CompareMethod =
  | 'pq'
  | 'opq'
  /** Distill, index only, virtual labels, documents keep their codes (the write-back that held on Cranfield). */
  | 'distill-index'
  /** The same with every document re-encoded with the learned codebooks. */
  | 'distill-index-reencode'
  /** Contrastive, index only, on `contrasLabels` (the judged training queries). */
  | 'contras-index'
  /** Distill, index + query tower, virtual labels. */
  | 'distill-encoder'
  /** Contrastive, index + query tower, on `contrasLabels`. */
  | 'contras-encoder'
  /** Distill, index + query and document towers (fixEmb ''), virtual labels; codes fixed while training, then every document re-encoded. */
  | 'distill-encoders'
  /** The same with LibVQ's straight-through codes (codeAssignment 'nearest') while training. */
  | 'distill-encoders-nearest';

export interface CompareInput {
  docs: Matrix;
  /** Teacher embeddings of the training queries (the encoder's, before training). */
  trainQueries: Matrix;
  /** Their token rows (the query tower trains on them; rows with a query tower only). */
  trainTokens?: QueryTokens;
  devQueries: Matrix;
  /** The dev queries' token rows (rows with a query tower only). */
  devTokens?: QueryTokens;
  /** Judged dev queries: query row -> document row -> grade. */
  devRels: OffsetRels;
  /** The encoder the embeddings came from (recorded in LearnableIndexWithEncoder; rows with a tower only). */
  encoder?: BaseEncoder;
  /** A fresh trainable query tower starting from the encoder's query tower (one per trained row with a tower). */
  makeQueryTower?: () => TrainableTower;
  /** Positives per training query row, for 'contras-index' and 'contras-encoder'. */
  contrasLabels?: RelData;
  /** The documents' token rows (row i = document i), for the 'distill-encoders*' rows. */
  docTokens?: QueryTokens;
  /** A fresh trainable document tower starting from the encoder's document tower, for the 'distill-encoders*' rows. */
  makeDocTower?: () => TrainableTower;
}

export interface CompareRow {
  /** Which row kind (a CompareMethod, or 'dense'). */
  kind: CompareMethod | 'dense';
  method: string;
  /** Bytes per document vector: M for PQ/OPQ at 8 bits, 4·d for the dense float32 row. */
  bytes: number;
  mrr10: number;
  recall100: number;
  ndcg10: number;
  trainSeconds: number | null;
  trainQps: number | null;
  /** Mean training loss of each epoch (the training curve); null for rows that do not train. */
  epochLoss: number[] | null;
  /** ‖RᵀR − I‖∞ of the learned rotation (stays orthogonal). */
  rotationError: number | null;
  /** How the row's virtual labels were mined (learned rows with relData null), else null. */
  labels: LabelMiningReport | null;
}

export interface CompareOptions {
  /** Byte budgets (M sub-vectors at 8 bits each). */
  bytes: number[];
  methods: CompareMethod[];
  epochs: number;
  /**
   * Training settings (scope, batch, negatives, epochs). Default: planTraining for the corpus and training-query
   * counts, with `epochs` as the most epochs wanted.
   */
  plan?: Omit<TrainingPlan, 'reasons'>;
  /** Put every quantizer behind an IVF of `nlist` lists (IVF{nlist},PQ / OPQ,IVF{nlist},PQ), searched with `nprobe`. */
  ivf?: { nlist: number; nprobe: number };
  /** Tokens per query the tower sees. Default 64. */
  maxQueryLength?: number;
  /** Tokens per document the document tower sees (use the length the document embeddings were encoded with). Default 256. */
  maxDocLength?: number;
  signal?: AbortSignal;
  /** Threads of every index (training, adds, searches; the figures are the same for any value). Default 1. */
  threads?: number;
  /** OPQ training knobs of the OPQ rows and of the learned rows' initial index (default faiss's: 50 iterations, 65,536 points). */
  opq?: { niter?: number; maxTrainPoints?: number };
  /** How the learned rows' virtual labels are mined (fit's labelMining; default the index, nprobe 'auto'). */
  labelMining?: LabelMiningOptions;
  /** Parameters the learned rows keep fixed (fit's freeze), e.g. { centroids: true } to learn only PQ and OPQ. */
  freeze?: { centroids?: boolean; codebooks?: boolean; rotation?: boolean };
  /** Seed of the learned rows' training (batches, negatives, temperature sample). Default 3. */
  seed?: number;
  /** Wraps each long stage (to draw a progress bar); default runs it silently. */
  stage?: <T>(label: string, run: (onProgress: (done: number, total: number) => void) => T | Promise<T>) => Promise<T>;
  /** Called with each row as soon as it is scored. */
  onRow?: (row: CompareRow) => void;
}

const ALL_METHODS: readonly CompareMethod[] = ['pq', 'opq', 'distill-index', 'distill-index-reencode', 'contras-index', 'distill-encoder', 'contras-encoder', 'distill-encoders', 'distill-encoders-nearest'];
const BOTH_TOWERS: readonly CompareMethod[] = ['distill-encoders', 'distill-encoders-nearest'];
const TOWER_METHODS: readonly CompareMethod[] = ['distill-encoder', 'contras-encoder', ...BOTH_TOWERS];

/**
 * The OPQ structure of a budget of M bytes on d-dim vectors: OPQ{M},PQ{M}x8 when M divides d, else the rotation also
 * reduces to the largest multiple of M below d (OPQ{M}_{d'}, faiss's way to fit any budget: 8 B on 100-d is
 * OPQ8_96,PQ8x8).
 */
export function opqFactory(M: number, d: number): string {
  return d % M === 0 ? `OPQ${M},PQ${M}x8` : `OPQ${M}_${Math.floor(d / M) * M},PQ${M}x8`;
}

export const METHOD_LABELS: Record<CompareMethod, (M: number, d: number) => string> = {
  pq: (M) => `PQ${M}x8`,
  opq: opqFactory,
  'distill-index': () => 'distill index-only (virtual labels, keep)',
  'distill-index-reencode': () => 'distill index-only (virtual labels, reencode)',
  'contras-index': () => 'contras index-only (labels)',
  'distill-encoder': () => 'distill index + query encoder (virtual labels)',
  'contras-encoder': () => 'contras index + query encoder (labels)',
  'distill-encoders': () => 'distill index + query & doc encoders (virtual labels, fixed codes, reencode)',
  'distill-encoders-nearest': () => 'distill index + query & doc encoders (virtual labels, straight-through, reencode)',
};

const K = 100;

export async function compareQuantizers(input: CompareInput, o: CompareOptions): Promise<CompareRow[]> {
  const { docs, devQueries, devRels } = input;
  for (const m of o.methods) if (!ALL_METHODS.includes(m)) throw invalidArgument('methods', `some of ${ALL_METHODS.join(', ')}`, m);
  for (const b of o.bytes) {
    // Any budget up to d: one that does not divide d reduces the dimension in the OPQ rotation (opqFactory).
    if (!Number.isInteger(b) || b < 1 || b > docs.dim) throw invalidArgument('bytes', `integers from 1 to the dimension ${docs.dim} (one 8-bit sub-vector code per byte)`, b);
  }
  for (const m of ['contras-index', 'contras-encoder'] as const) {
    if (o.methods.includes(m) && !input.contrasLabels) throw invalidArgument('contrasLabels', `positives per training query (method '${m}')`, undefined);
  }
  const ivf = o.ivf;
  if (ivf && !(Number.isInteger(ivf.nlist) && ivf.nlist >= 1 && Number.isInteger(ivf.nprobe) && ivf.nprobe >= 1)) {
    throw invalidArgument('ivf', '{nlist, nprobe}: positive integers', JSON.stringify(ivf));
  }
  const plan = o.plan ?? planTraining({ documents: docs.rows, trainingQueries: input.trainQueries.rows, epochs: o.epochs });
  const search = { k: K, ...(ivf ? { nprobe: ivf.nprobe } : {}) };
  // 'OPQ4,PQ4x8' -> 'OPQ4,IVF1024,PQ4x8'; a learned row's label -> 'IVF1024: distill ...'
  const prefix = (label: string) => {
    if (!ivf) return label;
    return /^(OPQ\d+(_\d+)?,)?PQ/.test(label) ? label.replace(/^(OPQ\d+(_\d+)?,)?/, (m) => `${m}IVF${ivf.nlist},`) : `IVF${ivf.nlist}: ${label}`;
  };
  if (o.methods.some((m) => TOWER_METHODS.includes(m)) && (!input.encoder || !input.makeQueryTower || !input.trainTokens || !input.devTokens)) {
    throw invalidArgument('encoder / makeQueryTower / trainTokens / devTokens', `the encoder, a query tower and the queries' tokens (methods ${TOWER_METHODS.join(', ')})`, undefined);
  }
  if (o.methods.some((m) => BOTH_TOWERS.includes(m)) && (!input.docTokens || !input.makeDocTower)) {
    throw invalidArgument('docTokens / makeDocTower', "the documents' tokens and a document tower (methods 'distill-encoders*')", undefined);
  }
  const stage = o.stage ?? (async (_label, run) => run(() => {}));
  const maxQ = o.maxQueryLength ?? 64;
  const rows: CompareRow[] = [];
  const record = (kind: CompareRow['kind'], bytes: number, method: string, labels: Float64Array, fit: FitReport | null, rot: number | null) => {
    const e = evaluateRanking({ labels, k: K }, devRels, { mrr: [10], recall: [100], ndcg: [10] });
    const row: CompareRow = {
      kind, method, bytes, mrr10: e.mrr[10], recall100: e.recall[100], ndcg10: e.ndcg[10],
      trainSeconds: fit ? fit.seconds : null, trainQps: fit ? fit.queriesPerSecond : null, epochLoss: fit ? fit.epochLoss : null, rotationError: rot,
      labels: fit?.labels ?? null,
    };
    rows.push(row);
    o.onRow?.(row);
  };

  const flat = new IndexFlat(docs.dim, 'ip');
  flat.addSync(docs);
  record('dense', 4 * docs.dim, 'dense (exact)', flat.searchSync(devQueries, { k: K }).labels, null, null);

  // The settings that held on Cranfield: tau fitted to the teacher's score spread ('auto': 0.0048 there; every fixed
  // tau from 0.05 to 0.2 left the 4-byte R@100 below OPQ's), each document's codes fixed, keep write-back; the scope,
  // batch, negatives and epochs from the plan (whole-corpus KL on small corpora, in-batch + hard negatives on large).
  const common = {
    docEmbeddings: docs, epochs: plan.epochs, batchSize: plan.batchSize, docScope: plan.docScope, perQueryNegNum: plan.perQueryNegNum,
    virtualNegNum: plan.virtualNegNum, labelMining: o.labelMining, temperature: 'auto' as const, lr: { codebooks: 1e-3, rotation: 1e-4 }, freeze: o.freeze, seed: o.seed ?? 3, signal: o.signal,
  };
  for (const M of o.bytes) {
    // Each structure is trained once per budget; a learned row starts from a copy of its bytes (the same index a
    // fresh seeded build gives), so OPQ's training is not repeated for every learned row.
    const built = new Map<'pq' | 'opq', Uint8Array>();
    const create = async (method: 'pq' | 'opq', label: string): Promise<LearnableIndex> => {
      const bytes = built.get(method);
      if (bytes) {
        const index = deserializeIndex(bytes);
        if (o.threads !== undefined) index.threads = o.threads;
        return new LearnableIndex(index);
      }
      const li = await stage(label, (onProgress) =>
        LearnableIndex.fromFactory({
          docEmbeddings: docs, factory: prefix(METHOD_LABELS[method](M, docs.dim)), metric: 'ip', seed: 1, threads: o.threads, opq: o.opq, signal: o.signal, onProgress,
        }),
      );
      built.set(method, serializeIndex(li.index));
      return li;
    };
    for (const method of o.methods) {
      throwIfAborted(o.signal, 'compareQuantizers');
      const frozen = Object.entries(o.freeze ?? {}).filter(([, v]) => v).map(([k]) => k);
      const learned = method !== 'pq' && method !== 'opq';
      const label = prefix(METHOD_LABELS[method](M, docs.dim)) + (learned && frozen.length ? ` [${frozen.join(', ')} frozen]` : '');
      // Plain PQ needs M | d: a budget that does not divide d has only the OPQ rows (which reduce the dimension).
      if (method === 'pq' && docs.dim % M !== 0) continue;
      if (method === 'pq' || method === 'opq') {
        const li = await create(method, `${M} B: training ${label}`);
        record(method, M, label, li.searchSync(devQueries, search).labels, null, null);
      } else if (method === 'distill-index' || method === 'distill-index-reencode' || method === 'contras-index') {
        const li = await create('opq', `${M} B: initial ${prefix(opqFactory(M, docs.dim))}`);
        const writeBack = method === 'distill-index-reencode' ? 'reencode' : 'keep';
        const labels = method === 'contras-index' ? { relData: input.contrasLabels!, lossMethod: 'contras' as const } : { relData: null, lossMethod: 'distill' as const };
        const rep = await stage(`${M} B: ${label}`, (onProgress) => li.fitSync({ ...common, queryEmbeddings: input.trainQueries, ...labels, writeBack, onProgress }));
        record(method, M, label, li.searchSync(devQueries, search).labels, rep, li.rotationError());
      } else if (BOTH_TOWERS.includes(method)) {
        const init = await create('opq', `${M} B: initial ${prefix(opqFactory(M, docs.dim))}`);
        const lie = new LearnableIndexWithEncoder(init, input.encoder!, input.makeQueryTower!(), input.makeDocTower!());
        const rep = await stage(`${M} B: ${label}`, (onProgress) =>
          lie.fit({
            ...common, queryEmbeddings: input.trainQueries, queryTokens: input.trainTokens!, maxQueryLength: maxQ, fixEmb: '', lossMethod: 'distill', relData: null,
            docTokens: input.docTokens, maxDocLength: o.maxDocLength ?? 256, codeAssignment: method === 'distill-encoders' ? 'fixed' : 'nearest', onProgress,
          }),
        );
        const q = await lie.encodeTokens(input.devTokens!, { maxQueryLength: maxQ, signal: o.signal });
        record(method, M, label, lie.searchSync(q, search).labels, rep, lie.learnable.rotationError());
      } else {
        const init = await create('opq', `${M} B: initial ${prefix(opqFactory(M, docs.dim))}`);
        const lie = new LearnableIndexWithEncoder(init, input.encoder!, input.makeQueryTower!());
        const loss = method === 'distill-encoder' ? 'distill' : 'contras';
        const rep = await stage(`${M} B: ${label}`, (onProgress) =>
          lie.fit({
            ...common, queryEmbeddings: input.trainQueries, queryTokens: input.trainTokens!, maxQueryLength: maxQ, fixEmb: 'doc', lossMethod: loss,
            relData: loss === 'distill' ? null : input.contrasLabels, onProgress,
          }),
        );
        const q = await lie.encodeTokens(input.devTokens!, { maxQueryLength: maxQ, signal: o.signal });
        record(method, M, label, lie.searchSync(q, search).labels, rep, lie.learnable.rotationError());
      }
    }
  }
  return rows;
}
