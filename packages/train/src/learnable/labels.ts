import { LibvqError } from '@libvq/index-core';
import { createRng, invalidArgument } from '@libvq/index-core/util';

/** Query row -> document rows (LibVQ's rel_data / neg_data after ids are mapped to rows). */
export type RelData = Map<number, ArrayLike<number>>;

export interface SampledBatch {
  /** Query rows, B. */
  readonly queries: Int32Array;
  /** Document rows: B positives then B * n negatives (LibVQ's layout). */
  readonly docs: Int32Array;
}

/** Checks a RelData against the row counts, naming the offending query and document. */
export function checkRelData(rel: RelData, name: string, nQueries: number, nDocs: number): void {
  for (const [q, ds] of rel) {
    if (!(Number.isInteger(q) && q >= 0 && q < nQueries)) throw invalidArgument(`${name}: query row`, `an integer in [0, ${nQueries})`, q);
    for (let i = 0; i < ds.length; i++) {
      const d = ds[i];
      if (!(Number.isInteger(d) && d >= 0 && d < nDocs)) throw invalidArgument(`${name}: query ${q}, document row`, `an integer in [0, ${nDocs})`, d);
    }
  }
}

/**
 * LibVQ's DatasetForVQ + RandomSampler, seeded: each epoch shuffles the queries that have a positive; a
 * training example is one query, one positive drawn from its rels, and `negNum` negatives drawn from its hard
 * negatives (without replacement while there are enough, else with), or random documents that are not among
 * its positives when it has none.
 */
export class BatchSampler {
  private readonly queryRows: Int32Array;
  constructor(
    private readonly rels: RelData,
    private readonly negs: RelData | null,
    private readonly nDocs: number,
    readonly negNum: number,
    readonly batchSize: number,
    private readonly seed: number,
  ) {
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw invalidArgument('batchSize', 'a positive integer', batchSize);
    if (!Number.isInteger(negNum) || negNum < 0) throw invalidArgument('perQueryNegNum', 'an integer >= 0', negNum);
    const rows: number[] = [];
    for (const [q, ds] of rels) if (ds.length > 0) rows.push(q);
    rows.sort((a, b) => a - b);
    if (rows.length === 0) throw new LibvqError('INSUFFICIENT_DATA', 'training: no query has a positive document (relData is empty)');
    this.queryRows = Int32Array.from(rows);
  }

  get numQueries(): number {
    return this.queryRows.length;
  }

  batchesPerEpoch(): number {
    return Math.ceil(this.queryRows.length / this.batchSize);
  }

  /** The batches of one epoch; the same (seed, epoch) gives the same batches. */
  epoch(epoch: number): SampledBatch[] {
    const rng = createRng((this.seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
    const order = Int32Array.from(this.queryRows);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    const out: SampledBatch[] = [];
    const n = this.negNum;
    for (let s = 0; s < order.length; s += this.batchSize) {
      const qs = order.subarray(s, Math.min(order.length, s + this.batchSize));
      const B = qs.length;
      const docs = new Int32Array(B + B * n);
      for (let i = 0; i < B; i++) {
        const q = qs[i];
        const pos = this.rels.get(q)!;
        docs[i] = pos[rng.int(pos.length)];
        const hard = this.negs?.get(q);
        const o = B + i * n;
        if (hard && hard.length > 0) {
          if (hard.length >= n) {
            // partial Fisher-Yates over an index permutation: n distinct hard negatives
            const idx = Int32Array.from({ length: hard.length }, (_, t) => t);
            for (let t = 0; t < n; t++) {
              const j = t + rng.int(hard.length - t);
              const tmp = idx[t];
              idx[t] = idx[j];
              idx[j] = tmp;
              docs[o + t] = hard[idx[t]];
            }
          } else {
            for (let t = 0; t < n; t++) docs[o + t] = hard[rng.int(hard.length)];
          }
        } else {
          const avoid = new Set<number>(Array.from(pos));
          if (avoid.size >= this.nDocs) throw new LibvqError('INSUFFICIENT_DATA', `training: query ${q} has every document as a positive; no negative can be drawn`);
          for (let t = 0; t < n; t++) {
            let dd = rng.int(this.nDocs);
            while (avoid.has(dd)) dd = rng.int(this.nDocs);
            docs[o + t] = dd;
          }
        }
      }
      out.push({ queries: Int32Array.from(qs), docs });
    }
    return out;
  }
}
