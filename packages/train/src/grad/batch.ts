import { LibvqError } from '@libvq/index-core';
import { invalidArgument, checkMatrix } from '@libvq/index-core/util';
import type { Matrix } from '@libvq/index-core';
import { contrasLoss, distillLoss } from './loss.js';
import { pqAssign, pqBackwardFixed, pqBackwardST, pqDecodeAdd } from './pq-st.js';
import { rotateRows, rotateRowsBackward } from './rotate.js';
import { scoreRowsBackwardThreaded, scoreRowsThreaded } from './score-threads.js';
import type { BatchGrads, BatchOptions, GradNeeds, LossWeights, QuantParams, TrainBatch } from './types.js';

type Kind = 'dense' | 'ivf' | 'pq';

/**
 * Everything the forward pass computed that the backward pass reuses. Rows in the index's (rotated) space are
 * float64; scores are raw (before the temperature), B x N.
 */
export interface BatchForward {
  readonly params: QuantParams;
  readonly batch: TrainBatch;
  readonly B: number;
  readonly N: number;
  readonly dIn: number;
  readonly dOut: number;
  readonly opts: Required<Pick<BatchOptions, 'loss' | 'temperature' | 'assignTemperature' | 'threads'>>;
  readonly positives: Int32Array;
  /** Rotated queries, B x dOut. */
  readonly qRot: Float64Array;
  /** Rotated documents, N x dOut (null when not needed: fixed codes and no dense score). */
  readonly dRot: Float64Array | null;
  /** Centroid of each document's list, N x dOut (IVF only). */
  readonly cRows: Float64Array | null;
  /** Residual rows fed to PQ, N x dOut (straight-through only). */
  readonly residual: Float64Array | null;
  /** Quantized documents (centroid + codewords), N x dOut. */
  readonly quantized: Float64Array | null;
  /** The codes used in the forward pass, N x M. */
  readonly codes: Uint8Array | null;
  readonly teacher: Float64Array | null;
  readonly scores: Partial<Record<Kind, Float64Array>>;
  /** Unweighted losses per score kind. */
  readonly losses: Partial<Record<Kind, number>>;
  /** dL_kind / dS_kind (unweighted), B x N. */
  readonly dScores: Partial<Record<Kind, Float64Array>>;
}

function checkIntArray(a: Int32Array | Uint8Array, name: string, len: number, bound: number): void {
  if (a.length !== len) throw new LibvqError('DIMENSION_MISMATCH', `batch.${name}: has ${a.length} entries, expected ${len}`);
  for (let i = 0; i < len; i++) {
    if (!(a[i] >= 0 && a[i] < bound)) throw invalidArgument(`batch.${name}[${i}]`, `an integer in [0, ${bound})`, a[i]);
  }
}

function checkParams(p: QuantParams): { dIn: number; dOut: number } {
  const rot = p.rotation;
  let dOut = -1;
  if (rot) {
    if (rot.data.length !== rot.dOut * rot.dIn) {
      throw new LibvqError('DIMENSION_MISMATCH', `params.rotation: ${rot.data.length} values, expected dOut*dIn = ${rot.dOut}*${rot.dIn}`);
    }
    dOut = rot.dOut;
  }
  if (p.centroids) {
    const c = p.centroids;
    if (c.data.length !== c.nlist * c.dim) throw new LibvqError('DIMENSION_MISMATCH', `params.centroids: ${c.data.length} values, expected nlist*dim = ${c.nlist}*${c.dim}`);
    if (dOut >= 0 && c.dim !== dOut) throw new LibvqError('DIMENSION_MISMATCH', `params.centroids.dim = ${c.dim}, expected the rotation's dOut = ${dOut}`);
    dOut = c.dim;
  }
  if (p.codebooks) {
    const cb = p.codebooks;
    if (cb.ksub > 256) throw invalidArgument('params.codebooks.ksub', 'at most 256 (codes are bytes)', cb.ksub);
    if (cb.data.length !== cb.M * cb.ksub * cb.dsub) throw new LibvqError('DIMENSION_MISMATCH', `params.codebooks: ${cb.data.length} values, expected M*ksub*dsub = ${cb.M}*${cb.ksub}*${cb.dsub}`);
    if (dOut >= 0 && cb.M * cb.dsub !== dOut) throw new LibvqError('DIMENSION_MISMATCH', `params.codebooks: M*dsub = ${cb.M * cb.dsub}, expected ${dOut}`);
    dOut = cb.M * cb.dsub;
  }
  return { dIn: rot ? rot.dIn : dOut, dOut };
}

/** Forward pass: scores of every kind the parameters allow and their losses (unweighted). */
export function forwardBatch(params: QuantParams, batch: TrainBatch, options: BatchOptions): BatchForward {
  const tau = options.temperature ?? 1;
  const assignT = options.assignTemperature ?? 1;
  if (!(tau > 0 && Number.isFinite(tau))) throw invalidArgument('temperature', 'a finite number > 0', tau);
  if (!(assignT > 0 && Number.isFinite(assignT))) throw invalidArgument('assignTemperature', 'a finite number > 0', assignT);
  if (options.loss !== 'contras' && options.loss !== 'distill') throw invalidArgument('loss', "'contras' or 'distill'", options.loss);
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw invalidArgument('threads', 'a positive integer', options.threads);
  const { dIn: pIn, dOut: pOut } = checkParams(params);
  const q = batch.queries;
  checkMatrix(q, 'batch.queries', pIn > 0 ? pIn : undefined);
  const dIn = q.dim;
  const dOut = pOut > 0 ? pOut : dIn;
  const B = q.rows;
  const want = options.scores ?? {};
  const useIvf = params.centroids !== undefined && want.ivf !== false;
  const usePq = params.codebooks !== undefined && want.pq !== false;
  const useDense = want.dense !== false;
  const fixedCodes = batch.docCodes;
  const needDocs = useDense || (usePq && !fixedCodes);
  let N: number;
  if (batch.docs) {
    checkMatrix(batch.docs, 'batch.docs', dIn);
    N = batch.docs.rows;
  } else if (!needDocs && batch.docLists) {
    N = batch.docLists.length;
  } else if (!needDocs && fixedCodes && params.codebooks) {
    N = fixedCodes.length / params.codebooks.M;
  } else {
    throw invalidArgument('batch.docs', 'document embeddings (needed for the dense score and for choosing codes)', batch.docs);
  }
  if (B === 0 || N === 0) throw invalidArgument('batch', 'at least one query and one document', `${B} x ${N}`);
  const positives = batch.positives ?? Int32Array.from({ length: B }, (_, i) => i);
  checkIntArray(positives, 'positives', B, N);
  if (params.centroids) {
    if (!batch.docLists) throw invalidArgument('batch.docLists', 'the IVF list of every document (the index has centroids)', undefined);
    checkIntArray(batch.docLists, 'docLists', N, params.centroids.nlist);
  }
  if (fixedCodes && params.codebooks) checkIntArray(fixedCodes, 'docCodes', N * params.codebooks.M, params.codebooks.ksub);

  const qRot = rotateRows(q.data, B, dIn, params.rotation);
  const dRot = needDocs && batch.docs ? rotateRows(batch.docs.data, N, dIn, params.rotation) : null;

  let cRows: Float64Array | null = null;
  if (params.centroids) {
    const { data: C } = params.centroids;
    const lists = batch.docLists!;
    cRows = new Float64Array(N * dOut);
    for (let j = 0; j < N; j++) {
      const co = lists[j] * dOut;
      for (let t = 0; t < dOut; t++) cRows[j * dOut + t] = C[co + t];
    }
  }

  let residual: Float64Array | null = null;
  let quantized: Float64Array | null = null;
  let codes: Uint8Array | null = null;
  if (usePq) {
    const cb = params.codebooks!;
    if (fixedCodes) {
      codes = fixedCodes;
    } else {
      residual = Float64Array.from(dRot!);
      if (cRows) for (let t = 0; t < residual.length; t++) residual[t] -= cRows[t];
      codes = pqAssign(residual, N, cb, new Uint8Array(N * cb.M));
    }
    quantized = cRows ? Float64Array.from(cRows) : new Float64Array(N * dOut);
    pqDecodeAdd(codes, N, cb, quantized);
  }

  let teacher: Float64Array | null = null;
  if (options.loss === 'distill') {
    const tq = batch.teacherQueries;
    const td = batch.teacherDocs;
    if (!tq || !td) throw invalidArgument('batch.teacherQueries/teacherDocs', "the original embeddings (loss 'distill')", undefined);
    checkMatrix(tq, 'batch.teacherQueries');
    checkMatrix(td, 'batch.teacherDocs', tq.dim);
    if (tq.rows !== B || td.rows !== N) throw new LibvqError('DIMENSION_MISMATCH', `batch.teacherQueries/teacherDocs: ${tq.rows} x ${td.rows} rows, expected ${B} x ${N}`);
    teacher = scoreRowsThreaded(Float64Array.from(tq.data), B, Float64Array.from(td.data), N, tq.dim, params.metric, new Float64Array(B * N), threads);
  }

  const scores: Partial<Record<Kind, Float64Array>> = {};
  if (useDense && dRot) scores.dense = scoreRowsThreaded(qRot, B, dRot, N, dOut, params.metric, new Float64Array(B * N), threads);
  if (useIvf) scores.ivf = scoreRowsThreaded(qRot, B, cRows!, N, dOut, params.metric, new Float64Array(B * N), threads);
  if (usePq) scores.pq = scoreRowsThreaded(qRot, B, quantized!, N, dOut, params.metric, new Float64Array(B * N), threads);

  const losses: Partial<Record<Kind, number>> = {};
  const dScores: Partial<Record<Kind, Float64Array>> = {};
  const tprob = teacher ? new Float64Array(B * N) : null;
  for (const kind of ['dense', 'ivf', 'pq'] as const) {
    const S = scores[kind];
    if (!S) continue;
    const g = new Float64Array(B * N);
    losses[kind] = teacher ? distillLoss(S, teacher, B, N, tau, g, tprob!) : contrasLoss(S, B, N, positives, tau, g);
    if (!Number.isFinite(losses[kind]!)) {
      throw new LibvqError('NON_FINITE', `${kind} ${options.loss} loss is ${losses[kind]} (check the embeddings and the temperature ${tau})`);
    }
    dScores[kind] = g;
  }
  return {
    params, batch, B, N, dIn, dOut,
    opts: { loss: options.loss, temperature: tau, assignTemperature: assignT, threads },
    positives, qRot, dRot, cRows, residual, quantized, codes, teacher, scores, losses, dScores,
  };
}

/** Total weighted loss of a forward pass: sum over the computed kinds of weight * loss. */
export function totalLoss(fwd: BatchForward, w: LossWeights): number {
  return (fwd.losses.dense ?? 0) * w.dense + (fwd.losses.ivf ?? 0) * w.ivf + (fwd.losses.pq ?? 0) * w.pq;
}

/** Backward pass of the weighted total loss into the requested gradients. */
export function backwardBatch(fwd: BatchForward, w: LossWeights, need: GradNeeds): BatchGrads {
  const { params, batch, B, N, dIn, dOut, qRot, dRot, cRows } = fwd;
  const metric = params.metric;
  const threads = fwd.opts.threads;
  const wantRot = !!need.rotation && !!params.rotation;
  const wantC = !!need.centroids && !!params.centroids;
  const wantCB = !!need.codebooks && !!params.codebooks;
  const wantQ = !!need.queries || wantRot;
  const wantD = (!!need.docs || wantRot) && dRot !== null;
  const dQ = wantQ ? new Float64Array(B * dOut) : null;
  const dD = wantD ? new Float64Array(N * dOut) : null;
  const dCRows = wantC ? new Float64Array(N * dOut) : null;
  const dCB = wantCB ? new Float64Array(params.codebooks!.data.length) : null;

  const Gd = fwd.dScores.dense;
  if (Gd && w.dense !== 0 && (dQ || dD)) scoreRowsBackwardThreaded(qRot, B, dRot!, N, dOut, metric, Gd, w.dense, dQ, dD, threads);
  const Gi = fwd.dScores.ivf;
  if (Gi && w.ivf !== 0 && (dQ || dCRows)) scoreRowsBackwardThreaded(qRot, B, cRows!, N, dOut, metric, Gi, w.ivf, dQ, dCRows, threads);
  const Gp = fwd.dScores.pq;
  if (Gp && w.pq !== 0) {
    const cb = params.codebooks!;
    const stPath = fwd.residual !== null;
    // dL/dquantized is needed for codebooks, centroids, and (straight-through) residual -> docs/rotation.
    const needQuant = dCB || dCRows || (stPath && dD);
    const dQuant = needQuant ? new Float64Array(N * dOut) : null;
    scoreRowsBackwardThreaded(qRot, B, fwd.quantized!, N, dOut, metric, Gp, w.pq, dQ, dQuant, threads);
    if (dQuant) {
      if (dCRows) for (let t = 0; t < dQuant.length; t++) dCRows[t] += dQuant[t]; // quantized = centroid + ...
      if (stPath) {
        const dRes = dD || dCRows ? new Float64Array(N * dOut) : null;
        pqBackwardST(fwd.residual!, fwd.codes!, N, cb, dQuant, fwd.opts.assignTemperature, dRes, dCB);
        if (dRes) {
          if (dD) for (let t = 0; t < dRes.length; t++) dD[t] += dRes[t]; // residual = rotated doc - centroid
          if (dCRows) for (let t = 0; t < dRes.length; t++) dCRows[t] -= dRes[t];
        }
      } else if (dCB) {
        pqBackwardFixed(fwd.codes!, N, cb, dQuant, dCB);
      }
    }
  }

  const grads: BatchGrads = {};
  const dR = wantRot ? new Float64Array(dOut * dIn) : null;
  if (dQ) {
    const gq = need.queries ? new Float64Array(B * dIn) : null;
    rotateRowsBackward(batch.queries.data, B, dIn, params.rotation, dQ, gq, dR);
    if (gq) grads.queries = gq;
  }
  if (dD) {
    const gd = need.docs ? new Float64Array(N * dIn) : null;
    rotateRowsBackward((batch.docs as Matrix).data, N, dIn, params.rotation, dD, gd, dR);
    if (gd) grads.docs = gd;
  } else if (need.docs && batch.docs) {
    grads.docs = new Float64Array(N * dIn); // no score depends on the document embeddings
  }
  if (dR) grads.rotation = dR;
  if (dCRows) {
    const { nlist } = params.centroids!;
    const gc = new Float64Array(nlist * dOut);
    const lists = batch.docLists!;
    const touched = new Uint8Array(nlist);
    for (let j = 0; j < N; j++) {
      const l = lists[j];
      touched[l] = 1;
      for (let t = 0; t < dOut; t++) gc[l * dOut + t] += dCRows[j * dOut + t];
    }
    grads.centroids = gc;
    const ids: number[] = [];
    for (let l = 0; l < nlist; l++) if (touched[l]) ids.push(l);
    grads.touchedLists = Int32Array.from(ids);
  }
  if (dCB) grads.codebooks = dCB;
  return grads;
}
