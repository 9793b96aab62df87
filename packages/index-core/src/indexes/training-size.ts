import { LibvqError } from '../errors.js';
import { describeIndex } from '../factory.js';
import type { Index } from './index.js';

/**
 * The training-set size that trains `index` as well as any larger one, faiss's rule: k-means uses at most 256
 * points per centroid (IVF: 256 · nlist; PQ: 256 · 2^nbits per sub-quantizer), OPQ trains on at most 256 · 256
 * points. A bigger corpus is sampled once, seeded, to this size (the library would subsample anyway), so it is
 * never read whole for training.
 */
export function defaultTrainingSize(index: Index): number {
  const p = index.parameters();
  let n = 1;
  if (p.nlist !== undefined) n = Math.max(n, 256 * p.nlist);
  if (p.codebooks) n = Math.max(n, 256 * p.codebooks.ksub);
  if (p.transforms.some((t) => t.kind === 'opq')) n = Math.max(n, 256 * 256);
  return n;
}

/** Codewords per sub-quantizer of the PQ an OPQ rotation trains inside (opq.ts: 8 bits). */
const OPQ_INNER_KSUB = 256;

/**
 * What each stage `index.train` will run needs at the least, in training order: k-means needs a point per
 * centroid (IVF: nlist, while the coarse quantizer is untrained; PQ: 2^nbits per sub-quantizer), and an
 * untrained OPQ rotation trains an 8-bit PQ inside.
 */
function trainingNeeds(index: Index): { rows: number; why: string }[] {
  const needs: { rows: number; why: string }[] = [];
  const p = index.parameters();
  if (p.transforms.some((t) => t.kind === 'opq' && !t.isTrained)) {
    needs.push({ rows: OPQ_INNER_KSUB, why: `the OPQ rotation (trained with ${OPQ_INNER_KSUB} codewords per sub-quantizer)` });
  }
  if (p.nlist !== undefined && p.centroids?.rows !== p.nlist) needs.push({ rows: p.nlist, why: `nlist = ${p.nlist} IVF lists` });
  if (p.codebooks) needs.push({ rows: p.codebooks.ksub, why: `${p.codebooks.ksub} PQ codewords per sub-quantizer (nbits = ${p.codebooks.nbits})` });
  return needs;
}

/**
 * Refuses (INSUFFICIENT_DATA) a training set of `rows` vectors too small for a stage of `index.train`, before
 * any stage runs: each stage refuses it too, but only when it is reached, after minutes of OPQ or k-means on a
 * large set. Call it before drawing the training sample.
 */
export function checkTrainingSize(index: Index, rows: number): void {
  for (const need of trainingNeeds(index)) {
    if (rows < need.rows) {
      throw new LibvqError('INSUFFICIENT_DATA', `${nameOf(index)}: ${rows} training vectors for ${need.why}; need at least ${need.rows}`);
    }
  }
}

/** The index's factory string, or what it is when it has none (a transform of its own). */
function nameOf(index: Index): string {
  try {
    return describeIndex(index);
  } catch {
    return index.constructor.name;
  }
}
