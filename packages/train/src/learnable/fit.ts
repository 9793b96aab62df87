import { LibvqError } from '@libvq/index-core';
import { checkMatrix, firstOutOfRange, gatherRows, invalidArgument, normalizeRows, throwIfAborted } from '@libvq/index-core/util';
import type { LongOperationOptions, Matrix } from '@libvq/index-core';
import { backwardBatch, forwardBatch, totalLoss } from '../grad/batch.js';
import type { LossMethod, QuantParams, TrainBatch } from '../grad/types.js';
import { LossWeighting, type LossWeightOptions } from '../grad/weights.js';
import { AdamW } from '../optim/adamw.js';
import { RotationOptimizer } from '../optim/cayley.js';
import { linearWarmupDecay } from '../optim/schedule.js';
import { gatherGradRows, sgdStepRows } from '../optim/sgd.js';
import type { TrainState } from '../checkpoint/train-state.js';
import type { TowerState } from '../tower/types.js';
import { autoTemperature } from './auto-temperature.js';
import { checkDocumentRows, gatherDocuments, isDocumentRows, normalizedDocumentRows, type DocEmbeddings } from './doc-rows.js';
import { resolveFitOptions, type ResolvedFitOptions } from './fit-options.js';
import { BatchSampler, checkRelData, type RelData } from './labels.js';
import { mineVirtualLabels, type LabelMiningOptions, type LabelMiningReport } from './virtual-labels.js';
import { readAssignments, type IndexParts } from './structure.js';


export interface IndexFitOptions extends LongOperationOptions {
  /** Training query embeddings (rows = query rows of relData / negData). */
  queryEmbeddings: Matrix;
  /**
   * The documents' embeddings, row i = document id i of the index: a Matrix, or a row source read on demand
   * (DocumentRows, e.g. @libvq/dataset/formats' openRowReader over a .npy / .fvecs / .memmap file), so that a
   * corpus that does not fit in memory trains with memory that does not grow with it (docScope 'batch' only).
   */
  docEmbeddings: DocEmbeddings;
  /** Positives per query row; null / absent = virtual labels from the initial index (LibVQ's nolabel). */
  relData?: RelData | null;
  /** Hard negatives per query row; absent with relData = random documents; with virtual labels = ranks 2..400. */
  negData?: RelData | null;
  lossMethod?: LossMethod;
  epochs?: number;
  batchSize?: number;
  /** Negatives per query in a batch (LibVQ's per_query_neg_num, default 1). */
  perQueryNegNum?: number;
  /** Hard negatives taken from the virtual labels (ranks 2..1+this; default 399). */
  virtualNegNum?: number;
  /**
   * How the virtual labels are mined (default: the initial index, nprobe calibrated on a sample of the training
   * queries; see LabelMiningOptions). What was done is in FitReport.labels.
   */
  labelMining?: LabelMiningOptions;
  /**
   * When the training queries are documents of the index (ANN training from the base vectors): the document id
   * of each query row, left out of its virtual labels (see virtualLabels).
   */
  queryDocIds?: ArrayLike<number>;
  /**
   * Softmax temperature of the losses (default 'auto'; LibVQ's is 1). 'auto' fits it to the teacher's score spread
   * (autoTemperature: the rank-100 document weighs e^-4 of the first for the median training query); the value
   * used is in FitReport.temperature.
   */
  temperature?: number | 'auto';
  assignTemperature?: number;
  lr?: { codebooks?: number; centroids?: number; rotation?: number };
  /** How the centroids are updated: LibVQ's plain SGD on the touched lists (default) or AdamW. */
  centroidOptimizer?: 'sgd' | 'adamw';
  freeze?: { centroids?: boolean; codebooks?: boolean; rotation?: boolean };
  lossWeights?: LossWeightOptions;
  warmupRatio?: number;
  /**
   * 'fixed' (default, JPQ): each document keeps the codes the index gave it and the gradient trains the chosen
   * codewords. 'nearest' (LibVQ): codes are re-chosen by nearest codeword in every forward pass and the gradient
   * follows the straight-through estimator.
   */
  codeAssignment?: 'fixed' | 'nearest';
  /**
   * Documents scored per query: 'batch' (LibVQ: the batch's positives and negatives, in-batch negatives) or
   * 'corpus' (every document of the index; for small corpora, the distillation that worked best on Cranfield).
   */
  docScope?: 'batch' | 'corpus';
  seed?: number;
  /** Continue a run from the state of a per-epoch checkpoint (loadTrainCheckpoint); epochs counts the whole run. */
  resumeFrom?: TrainState;
  /** Called after every completed epoch with the state to resume from (the index's parameters are current). */
  onEpochEnd?: (state: TrainState) => void;
}

export interface FitReport {
  steps: number;
  epochs: number;
  seconds: number;
  queriesPerSecond: number;
  /** Mean weighted total loss of each epoch. */
  epochLoss: number[];
  /** The temperature the losses used (the resolved value when the option was 'auto'). */
  temperature: number;
  weights: { dense: number; pq: number; ivf: number } | null;
  /** How the virtual labels were mined (null: relData given, or resumed with the saved labels). */
  labels: LabelMiningReport | null;
}

/**
 * Trains the index's parameters in place (float32 storage; the rotation through a float64 master copy).
 * The caller decides the write-back afterwards. Errors propagate (LibVQ swallows them).
 */
export function fitIndexParams(parts: IndexParts, options: IndexFitOptions, resolved: ResolvedFitOptions = resolveFitOptions(options)): FitReport {
  const o = normalizedInputs(parts, options, {});
  const it = fitSteps(parts, o, resolved, {});
  let r = it.next();
  while (!r.done) r = it.next({ queries: gatherRows(o.queryEmbeddings, r.value.queries), docs: null });
  return r.value;
}

/** A step loop gives the event loop a turn at least this often (ms): fit's steps are a few ms each. */
const YIELD_EVERY_MS = 10;

/**
 * fitIndexParams that gives the event loop a turn between steps (every ~10 ms), so a server keeps answering while
 * an index trains. The same steps in the same order: the same parameters, byte for byte.
 */
export async function fitIndexParamsAsync(parts: IndexParts, options: IndexFitOptions, resolved: ResolvedFitOptions = resolveFitOptions(options)): Promise<FitReport> {
  const o = normalizedInputs(parts, options, {});
  const it = fitSteps(parts, o, resolved, {});
  let last = performance.now();
  let r = it.next();
  while (!r.done) {
    r = it.next({ queries: gatherRows(o.queryEmbeddings, r.value.queries), docs: null });
    if (performance.now() - last >= YIELD_EVERY_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      last = performance.now();
    }
  }
  return r.value;
}

/**
 * What fit needs from a trainable tower (query or document), by row: the current embeddings of the batch's rows,
 * the gradient of the loss with respect to them, a step with the schedule's factor, and (for per-epoch
 * checkpoints and resume) its state.
 */
export interface TowerHook {
  forward(rows: Int32Array): Matrix | Promise<Matrix>;
  backward(grad: Float64Array): void;
  step(lrFactor: number): void;
  exportState?(): TowerState;
  importState?(state: TowerState): void;
}

/** The hook of a query tower (the same contract as any tower's). */
export type QueryTowerHook = TowerHook;

/** The towers trained with the index; an absent one keeps its stored embeddings (LibVQ's fix_emb). */
export interface TowerHooks {
  /** Queries come from it; `queryEmbeddings` stays the teacher's (original) query embeddings. */
  readonly query?: TowerHook;
  /** The batch's documents come from it; `docEmbeddings` stays the teacher's (original) document embeddings. */
  readonly doc?: TowerHook;
}

/**
 * fitIndexParams with towers trained jointly: the trained side's embeddings come from its tower, the dense score
 * (current query vs current document) joins the loss, and the gradient with respect to each trained side flows
 * back into its tower. What the index scores give the documents: with codeAssignment 'fixed' every document's
 * list and codes are fixed, so its IVF and PQ scores do not depend on its vector and only the dense score trains
 * the document tower; with 'nearest' the codes are re-chosen from the tower's vector and the PQ score's
 * straight-through gradient (grad/pq-st.ts) reaches it too (the lists stay fixed, as in LibVQ).
 */
export async function fitWithTowers(
  parts: IndexParts,
  options: IndexFitOptions,
  towers: TowerHooks,
  resolved: ResolvedFitOptions = resolveFitOptions(options, { docTower: towers.doc !== undefined }),
): Promise<FitReport> {
  const o = normalizedInputs(parts, options, towers);
  const it = fitSteps(parts, o, resolved, towers);
  let r = it.next();
  while (!r.done) {
    const req = r.value;
    const queries = towers.query ? await towers.query.forward(req.queries) : gatherRows(o.queryEmbeddings, req.queries);
    const docs = req.docs && towers.doc ? await towers.doc.forward(req.docs) : null;
    r = it.next({ queries, docs });
  }
  return r.value;
}

/** fitWithTowers with the query tower only (fixEmb 'doc'). */
export function fitWithQueryTower(parts: IndexParts, o: IndexFitOptions, tower: TowerHook): Promise<FitReport> {
  return fitWithTowers(parts, o, { query: tower });
}

/**
 * An index that L2-normalises its inputs (metric 'cosine') scores normalised vectors, so the teacher's scores and
 * the student's must come from normalised embeddings too: they are normalised here, once. A trainable tower's
 * output would need the normalisation's gradient as well, which the towers do not have: refused.
 */
function normalizedInputs(parts: IndexParts, o: IndexFitOptions, towers: TowerHooks): IndexFitOptions {
  if (!parts.normalized) return o;
  if (towers.query || towers.doc) {
    throw new LibvqError('UNSUPPORTED', "training a tower with an index that normalises its inputs (metric 'cosine', an L2norm transform): train the index alone, or normalise the encoder's output and use 'ip'");
  }
  const unit = (m: Matrix, name: string): Matrix => {
    checkMatrix(m, name, parts.dIn);
    return normalizeRows({ rows: m.rows, dim: m.dim, data: m.data.slice() });
  };
  // A row source is normalised as its rows are read (per gathered batch / block), never as a whole copy.
  const docs = isDocumentRows(o.docEmbeddings) ? normalizedDocumentRows(o.docEmbeddings) : unit(o.docEmbeddings, 'docEmbeddings');
  return { ...o, queryEmbeddings: unit(o.queryEmbeddings, 'queryEmbeddings'), docEmbeddings: docs };
}

/** What the loop asks for each batch: the rows whose current embeddings it needs (docs: only with a doc tower). */
interface BatchRequest {
  queries: Int32Array;
  docs: Int32Array | null;
}

interface BatchEmbeddings {
  queries: Matrix;
  docs: Matrix | null;
}

/** The training loop as a generator: it yields the rows of each batch and receives their current embeddings. */
function* fitSteps(parts: IndexParts, o: IndexFitOptions, r: ResolvedFitOptions, towers: TowerHooks): Generator<BatchRequest, FitReport, BatchEmbeddings> {
  const t0 = performance.now();
  checkMatrix(o.queryEmbeddings, 'queryEmbeddings', parts.dIn);
  const docSource = isDocumentRows(o.docEmbeddings) ? o.docEmbeddings : null;
  if (docSource) checkDocumentRows(docSource, 'docEmbeddings', parts.dIn);
  else checkMatrix(o.docEmbeddings as Matrix, 'docEmbeddings', parts.dIn);
  if (docSource && r.docScope === 'corpus') {
    throw invalidArgument('docScope', "'batch' with document rows read on demand ('corpus' scores every document at every step: give docEmbeddings as a Matrix)", 'corpus');
  }
  const nDocs = parts.index.ntotal;
  if (o.docEmbeddings.rows !== nDocs) {
    throw new LibvqError('DIMENSION_MISMATCH', `docEmbeddings: ${o.docEmbeddings.rows} rows, the index holds ${nDocs} documents (row i must be document id i)`);
  }
  const { lossMethod, epochs, docScope, codeAssignment, seed, lr, freeze } = r;
  const temperature =
    r.temperature === 'auto'
      ? autoTemperature(parts.metric, o.queryEmbeddings, o.docEmbeddings, { seed, queryDocIds: o.queryDocIds })
      : r.temperature;

  const resume = o.resumeFrom;
  let rels = resume ? resume.rels : (o.relData ?? null);
  let negs = resume ? resume.negs : (o.negData ?? null);
  // epochsDone === epochs: the run finished training but was stopped before its write-back / export; resuming
  // runs no epoch and goes straight to the write-back (the caller's save follows).
  if (resume && !(resume.epochsDone <= epochs)) throw invalidArgument('resumeFrom', `a state with at most epochs = ${epochs} epochs done`, resume.epochsDone);
  let labelReport: LabelMiningReport | null = null;
  if (rels === null) {
    const mined = mineVirtualLabels(parts, o.queryEmbeddings, o.docEmbeddings, r.virtualNegNum, {
      ...o.labelMining, seed, signal: o.signal, queryDocIds: o.queryDocIds,
      onProgress: o.onProgress && ((done, total) => o.onProgress!(done, total, 'labels')), // queries labelled, stage 'labels'
    });
    rels = mined.labels.rels;
    negs = mined.labels.negs;
    labelReport = mined.report;
  }
  checkRelData(rels, 'relData', o.queryEmbeddings.rows, nDocs);
  if (negs) checkRelData(negs, 'negData', o.queryEmbeddings.rows, nDocs);

  const sampler = new BatchSampler(rels, negs, nDocs, docScope === 'corpus' ? 0 : r.perQueryNegNum, r.batchSize, seed);
  // The schedule counts steps over the whole run (total = epochs x batches per epoch) and a resumed run continues
  // from the saved step: with another batch size (or other training queries) the saved step no longer matches
  // the epochs done, and the count ran past the total ("step: expected an integer in [0, 15), got 15").
  if (resume && resume.step !== resume.epochsDone * sampler.batchesPerEpoch()) {
    throw new LibvqError(
      'INVALID_ARGUMENT',
      `resumeFrom: the saved run took ${resume.step} steps in ${resume.epochsDone} epochs (${resume.step / resume.epochsDone} batches per epoch), ` +
        `these options give ${sampler.batchesPerEpoch()} batches per epoch (batchSize ${sampler.batchSize} over ${sampler.numQueries} training queries); ` +
        `resume with the saved run's batch size and training queries`,
    );
  }
  const assign = readAssignments(parts);
  const trainCB = !!parts.codebooks && !freeze.codebooks;
  const trainC = !!parts.centroids && !freeze.centroids;
  const trainR = !!parts.rotation && !freeze.rotation;
  const qTower = towers.query ?? null;
  const dTower = towers.doc ?? null;
  const anyTower = qTower !== null || dTower !== null;
  if (!trainCB && !trainC && !trainR && !anyTower) throw new LibvqError('INVALID_ARGUMENT', `fit: nothing to train (method ${parts.method}, freeze ${JSON.stringify(freeze)})`);

  const centroidData = parts.centroids;
  const cbOpt = trainCB ? new AdamW(parts.codebooks!.data, parts.codebooks!.dsub, { lr: lr.codebooks }, 'codebooks') : null;
  const cOpt = trainC && r.centroidOptimizer === 'adamw' ? new AdamW(centroidData!, parts.d, { lr: lr.centroids }, 'centroids') : null;
  const rOpt = trainR ? new RotationOptimizer(parts.rotation!, parts.d, parts.dIn, { lr: lr.rotation }) : null;
  if (rOpt) rOpt.writeTo(parts.rotation!); // the re-orthonormalised start

  const params: QuantParams = {
    metric: parts.metric,
    rotation: parts.rotation ? { dOut: parts.d, dIn: parts.dIn, data: parts.rotation } : undefined,
    centroids: centroidData ? { nlist: parts.nlist, dim: parts.d, data: centroidData } : undefined,
    codebooks: parts.codebooks ?? undefined,
  };
  const weighting = new LossWeighting(o.lossWeights);
  // The step's score kernels run on the index's threads (LearnableIndex threads): the same bytes for any count.
  const stepThreads = parts.index.threads ?? 1;
  const total = epochs * sampler.batchesPerEpoch();
  const corpusIds = docScope === 'corpus' ? Int32Array.from({ length: nDocs }, (_, i) => i) : null;
  let step = 0;
  let queries = 0;
  const epochLoss: number[] = [];
  const opts = { codebooks: cbOpt, centroids: cOpt } as const;
  if (resume) {
    step = resume.step;
    if (resume.weights) weighting.restore(resume.weights);
    for (const [name, opt] of Object.entries(opts)) {
      const st = resume.optimizers[name];
      if (opt && st) opt.importState({ t: st.t, m: st.arrays.m, v: st.arrays.v });
    }
    for (const [role, hook] of [['query', qTower], ['doc', dTower]] as const) {
      const st = resume.towers?.[role];
      if (hook && !st) throw invalidArgument('resumeFrom', `a state holding the ${role} tower (the run being resumed did not train it, or its tower could not export its state)`, 'no tower state');
      if (!hook && st) throw invalidArgument('resumeFrom', `a state without a ${role} tower (the run being resumed trained it; resume with the same fixEmb)`, `a ${role} tower state`);
      if (hook && st) {
        if (!hook.importState) throw new LibvqError('INVALID_ARGUMENT', `resumeFrom: the ${role} tower cannot import its state (TrainableTower.importState)`);
        hook.importState(st);
      }
    }
    const rs = resume.optimizers.rotation;
    if (rOpt && rs) {
      rOpt.importState({ t: rs.t, R: rs.arrays.R, m: rs.arrays.m, v: rs.arrays.v });
      rOpt.writeTo(parts.rotation!);
    }
  }
  const stateAfter = (ep: number): TrainState => {
    const optimizers: TrainState['optimizers'] = {};
    for (const [name, opt] of Object.entries(opts)) {
      if (opt) {
        const e = opt.exportState();
        optimizers[name] = { t: e.t, arrays: { m: e.m, v: e.v } };
      }
    }
    if (rOpt) {
      const e = rOpt.exportState();
      optimizers.rotation = { t: e.t, arrays: { R: e.R, m: e.m, v: e.v } };
    }
    const towerStates: Record<string, TowerState> = {};
    if (qTower?.exportState) towerStates.query = qTower.exportState();
    if (dTower?.exportState) towerStates.doc = dTower.exportState();
    return { epochsDone: ep + 1, step, weights: weighting.current, rels: rels!, negs, optimizers, ...(anyTower ? { towers: towerStates } : {}) };
  };
  for (let ep = resume ? resume.epochsDone : 0; ep < epochs; ep++) {
    let sum = 0;
    const batches = sampler.epoch(ep);
    for (const b of batches) {
      throwIfAborted(o.signal, 'fit');
      const B = b.queries.length;
      const docRows = corpusIds ?? b.docs;
      let positives: Int32Array | undefined;
      if (corpusIds) positives = b.docs.subarray(0, B);
      const stored = docSource ? gatherDocuments(docSource, docRows) : corpusIds ? (o.docEmbeddings as Matrix) : gatherRows(o.docEmbeddings as Matrix, docRows);
      const teacherQ = gatherRows(o.queryEmbeddings, b.queries);
      const got: BatchEmbeddings = yield { queries: b.queries, docs: dTower ? docRows : null };
      const q = got.queries;
      if (q.rows !== B || q.dim !== parts.dIn) throw new LibvqError('DIMENSION_MISMATCH', `query tower: ${q.rows}x${q.dim} embeddings for ${B} queries of dimension ${parts.dIn}`);
      const docs = got.docs ?? stored;
      if (docs.rows !== docRows.length || docs.dim !== parts.dIn) {
        throw new LibvqError('DIMENSION_MISMATCH', `document tower: ${docs.rows}x${docs.dim} embeddings for ${docRows.length} documents of dimension ${parts.dIn}`);
      }
      const batch: TrainBatch = {
        queries: q,
        docs,
        positives,
        teacherQueries: teacherQ,
        teacherDocs: stored,
        docLists: assign.lists ? pick(assign.lists, docRows) : undefined,
        docCodes: codeAssignment === 'fixed' && assign.codes ? pickRows(assign.codes, parts.codebooks!.M, docRows) : undefined,
      };
      // Index-only training: the stored embeddings are fixed, so the dense score trains nothing (it is invariant
      // under an orthogonal rotation) and is not computed. With a tower it trains the tower (w_enc).
      let fwd: ReturnType<typeof forwardBatch>;
      try {
        fwd = forwardBatch(params, batch, {
          loss: lossMethod, temperature, assignTemperature: o.assignTemperature, scores: { dense: anyTower }, threads: stepThreads,
        });
      } catch (e) {
        // After the first step a non-finite loss comes from the steps taken, not from the inputs.
        if (step > 0 && e instanceof LibvqError && e.code === 'NON_FINITE') throw diverged(`at epoch ${ep + 1}, step ${step + 1} the ${e.message}`, lr);
        throw e;
      }
      const w = weighting.resolve(fwd.losses);
      const loss = totalLoss(fwd, w);
      if (!Number.isFinite(loss)) throw diverged(`the loss is ${loss} at epoch ${ep + 1}, step ${step + 1}`, lr);
      sum += loss;
      const g = backwardBatch(fwd, w, { codebooks: trainCB, centroids: trainC, rotation: trainR, queries: qTower !== null, docs: dTower !== null });
      const f = linearWarmupDecay(step, total, r.warmupRatio);
      if (qTower) {
        qTower.backward(g.queries!);
        qTower.step(f);
      }
      if (dTower) {
        dTower.backward(g.docs!); // one row per batch document, in the order the tower embedded them
        dTower.step(f);
      }
      if (cbOpt) cbOpt.step(g.codebooks!, f);
      if (trainC && g.touchedLists) {
        const rows = g.touchedLists;
        const gr = gatherGradRows(g.centroids!, parts.d, rows);
        if (cOpt) cOpt.stepRows(rows, gr, f);
        else sgdStepRows(centroidData!, parts.d, rows, gr, lr.centroids, 'centroids'); // LibVQ: constant rate
      }
      if (rOpt) {
        rOpt.step(g.rotation!, f);
        rOpt.writeTo(parts.rotation!);
      }
      step++;
      queries += B;
      o.onProgress?.(step, total, 'fit'); // steps over all epochs, one stage (LongOperationOptions)
    }
    // A step can leave non-finite parameters behind even when this epoch's losses were finite (the last step).
    checkFiniteParams([['codebooks', parts.codebooks?.data], ['IVF centroids', centroidData ?? undefined], ['OPQ rotation', parts.rotation ?? undefined]], ep, lr);
    epochLoss.push(sum / batches.length);
    if (o.onEpochEnd) {
      parts.index.parametersChanged();
      o.onEpochEnd(stateAfter(ep));
    }
  }
  parts.index.parametersChanged();
  const seconds = (performance.now() - t0) / 1000;
  return { steps: step, epochs: epochLoss.length, seconds, queriesPerSecond: queries / seconds, epochLoss, temperature, weights: weighting.current, labels: labelReport };
}

function diverged(what: string, lr: object): LibvqError {
  return new LibvqError('NON_FINITE', `fit: training diverged: ${what}; lower the learning rates (lr = ${JSON.stringify(lr)})`);
}

function checkFiniteParams(params: [string, Float32Array | undefined][], ep: number, lr: object): void {
  for (const [name, a] of params) {
    if (!a) continue;
    // Finite but beyond index-core's vector bound is diverged too: its squared distances overflow float32.
    const i = firstOutOfRange(a);
    if (i >= 0) throw diverged(`the ${name} hold ${a[i]} after epoch ${ep + 1} (the bound is ±1e15)`, lr);
  }
}

function pick(a: Int32Array, rows: Int32Array): Int32Array {
  const out = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = a[rows[i]];
  return out;
}

function pickRows(a: Uint8Array, M: number, rows: Int32Array): Uint8Array {
  const out = new Uint8Array(rows.length * M);
  for (let i = 0; i < rows.length; i++) out.set(a.subarray(rows[i] * M, (rows[i] + 1) * M), i * M);
  return out;
}
