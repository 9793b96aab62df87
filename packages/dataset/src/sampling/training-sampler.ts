import { LibvqError } from '@libvq/index-core';
import { createRng, invalidArgument, type Rng } from '@libvq/index-core/util';
import type { OffsetRels } from '../raw/rels.js';

export interface TrainingSamplerOptions {
  /** Judgments by row offset; docs with grade > 0 are a query's positives. */
  rels: OffsetRels;
  /** Number of documents (random negatives are drawn from 0..numDocs-1). */
  numDocs: number;
  /** Negatives per query (LibVQ's per_query_neg_num). */
  perQueryNegNum: number;
  /** Hard negatives per query offset (best first); without them, negatives are random documents. */
  negatives?: ReadonlyMap<number, Int32Array>;
  seed: number;
}

/** One batch of training examples, all as row offsets. */
export interface TrainingBatch {
  /** B query offsets. */
  queries: Int32Array;
  /** B positive doc offsets (one per query). */
  positives: Int32Array;
  /** B x perQueryNegNum negative doc offsets, row-major. */
  negatives: Int32Array;
}

/**
 * LibVQ's DatasetForVQ, as a seeded sampler of row offsets. A training example is one query (every query
 * with at least one positive), one positive drawn uniformly from its rels, and perQueryNegNum negatives:
 * drawn without replacement from its hard negatives when it has at least that many; otherwise all of them
 * topped up with random documents (LibVQ's rule). Unlike LibVQ, negatives never include the query's own
 * positives (a hard-negative list that names a positive is filtered) and are distinct within an example.
 * Each epoch visits the queries in a shuffled order; the same seed and epoch give the same batches.
 */
export class TrainingSampler {
  /** The queries that have a positive, ascending. */
  readonly queries: Int32Array;
  private readonly positives = new Map<number, Int32Array>();
  private readonly hardNegs = new Map<number, Int32Array>();
  private readonly numDocs: number;
  private readonly perQueryNegNum: number;
  private readonly seed: number;

  constructor(opts: TrainingSamplerOptions) {
    const { rels, numDocs, perQueryNegNum, negatives, seed } = opts;
    if (!Number.isInteger(numDocs) || numDocs < 1) throw invalidArgument('numDocs', 'a positive integer', numDocs);
    if (!Number.isInteger(perQueryNegNum) || perQueryNegNum < 1) throw invalidArgument('perQueryNegNum', 'a positive integer', perQueryNegNum);
    if (!Number.isInteger(seed)) throw invalidArgument('seed', 'an integer', seed);
    this.numDocs = numDocs;
    this.perQueryNegNum = perQueryNegNum;
    this.seed = seed;
    const qs: number[] = [];
    for (const [q, docs] of rels) {
      const pos: number[] = [];
      for (const [d, g] of docs) {
        if (!Number.isInteger(d) || d < 0 || d >= numDocs) throw new LibvqError('INVALID_ARGUMENT', `rels: query ${q} names doc offset ${d}, outside 0..${numDocs - 1}`);
        if (g > 0) pos.push(d);
      }
      if (pos.length === 0) continue;
      pos.sort((a, b) => a - b);
      if (numDocs - pos.length < perQueryNegNum) {
        throw new LibvqError('INSUFFICIENT_DATA', `query ${q}: ${numDocs} documents minus ${pos.length} positives leave fewer than perQueryNegNum = ${perQueryNegNum} negatives`);
      }
      this.positives.set(q, Int32Array.from(pos));
      qs.push(q);
      const hard = negatives?.get(q);
      if (hard) {
        const posSet = new Set(pos);
        const seen = new Set<number>();
        const kept: number[] = [];
        for (const d of hard) {
          if (!Number.isInteger(d) || d < 0 || d >= numDocs) throw new LibvqError('INVALID_ARGUMENT', `negatives: query ${q} names doc offset ${d}, outside 0..${numDocs - 1}`);
          if (!posSet.has(d) && !seen.has(d)) {
            seen.add(d);
            kept.push(d);
          }
        }
        this.hardNegs.set(q, Int32Array.from(kept));
      }
    }
    if (qs.length === 0) throw new LibvqError('INSUFFICIENT_DATA', 'rels: no query has a positive judgment (grade > 0)');
    this.queries = Int32Array.from(qs.sort((a, b) => a - b));
  }

  /** Number of examples per epoch (one per query with a positive). */
  get size(): number {
    return this.queries.length;
  }

  /** The batches of one epoch; the last one may be smaller unless dropLast. */
  *epoch(batchSize: number, epoch = 0, dropLast = false): Generator<TrainingBatch> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw invalidArgument('batchSize', 'a positive integer', batchSize);
    if (!Number.isInteger(epoch) || epoch < 0) throw invalidArgument('epoch', 'a non-negative integer', epoch);
    // One stream per (seed, epoch): epochs differ, and epoch e is reproducible without replaying 0..e-1.
    const rng = createRng((Math.imul(this.seed ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
    const order = this.queries.slice();
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    const n = this.perQueryNegNum;
    for (let start = 0; start < order.length; start += batchSize) {
      const end = Math.min(order.length, start + batchSize);
      if (dropLast && end - start < batchSize) break;
      const b = end - start;
      const batch: TrainingBatch = { queries: order.slice(start, end), positives: new Int32Array(b), negatives: new Int32Array(b * n) };
      for (let i = 0; i < b; i++) {
        const q = batch.queries[i];
        const pos = this.positives.get(q)!;
        batch.positives[i] = pos[rng.int(pos.length)];
        this.sampleNegatives(q, pos, rng, batch.negatives.subarray(i * n, (i + 1) * n));
      }
      yield batch;
    }
  }

  private sampleNegatives(q: number, pos: Int32Array, rng: Rng, out: Int32Array): void {
    const n = out.length;
    const hard = this.hardNegs.get(q);
    let filled = 0;
    if (hard && hard.length > 0) {
      if (hard.length >= n) {
        // Partial Fisher-Yates over a copy: n distinct hard negatives in random order.
        const pool = hard.slice();
        for (let i = 0; i < n; i++) {
          const j = i + rng.int(pool.length - i);
          const t = pool[i];
          pool[i] = pool[j];
          pool[j] = t;
        }
        out.set(pool.subarray(0, n));
        return;
      }
      out.set(hard);
      filled = hard.length;
    }
    const taken = new Set<number>(pos);
    for (let i = 0; i < filled; i++) taken.add(out[i]);
    const free = this.numDocs - taken.size;
    if (free < n - filled) {
      throw new LibvqError('INSUFFICIENT_DATA', `query ${q}: only ${free} documents are neither positives nor hard negatives, ${n - filled} random negatives needed`);
    }
    if (free >= 2 * (n - filled)) {
      // Rejection sampling: most draws succeed when free documents are plentiful.
      while (filled < n) {
        const d = rng.int(this.numDocs);
        if (!taken.has(d)) {
          taken.add(d);
          out[filled++] = d;
        }
      }
      return;
    }
    // Few free documents: list them and draw without replacement.
    const candidates: number[] = [];
    for (let d = 0; d < this.numDocs; d++) if (!taken.has(d)) candidates.push(d);
    for (let i = 0; filled < n; i++) {
      const j = i + rng.int(candidates.length - i);
      const t = candidates[i];
      candidates[i] = candidates[j];
      candidates[j] = t;
      out[filled++] = candidates[i];
    }
  }
}
