import { LibvqError, type Matrix } from '@libvq/index-core';
import { invalidArgument } from '@libvq/index-core/util';
import { checkTokenBatch } from '@libvq/encoder/model';
import { type TokenBatch } from '@libvq/encoder';
import type { Floats } from '../grad/types.js';
import { AdamW } from '../optim/adamw.js';
import { LinearHead, l2NormalizeRows, l2NormalizeRowsBackward, toMatrix32 } from './linear-head.js';
import { restoreSparseMoments, sparseMomentArrays } from './sparse-moments.js';
import { stateArray, stateStep, type TowerState, type TrainableTower } from './types.js';

export interface EmbeddingBagTowerOptions {
  /**
   * What describe() calls the tower (checkpoint manifests record it); default 'embedding-bag'. The CLI's
   * glove-100 towers are 'glove-100-trainable'.
   */
  name?: string;
  /** Learning rate of the embedding rows (sparse AdamW). Default 1e-3; 0 freezes the table. */
  lrEmbeddings?: number;
  /** Add a trainable dim x dim head (identity at start) after the mean. Default false. */
  head?: boolean;
  lrHead?: number;
  padId?: number;
  unkId?: number;
}

/**
 * A trainable bag-of-words tower over an embedding table (row i: token id i), such as a word-vector model's.
 * Its forward is the bag-of-words ONNX graph of @libvq/glove (bagOfWordsGraph; the glove-100 model is one): mean of
 * the embedding rows of the known tokens (attention mask 1, id != [UNK]), then (optional head) and L2
 * normalisation. Backward sends the gradient into the rows the batch touched only; step() updates just those
 * rows (sparse AdamW with float32 moments: a word-vector table has ~400k rows). Whoever builds the table decides
 * its vocabulary (a tokenizer's ids), so the tower itself knows no model.
 */
export class EmbeddingBagTower implements TrainableTower {
  readonly dim: number;
  readonly rows: number;
  readonly head: LinearHead | null;
  private readonly name: string;
  private readonly padId: number;
  private readonly unkId: number;
  private readonly lrEmb: number;
  private opt: AdamW | null = null;
  /** Sparse gradient of the table: row -> dim values. */
  private readonly gradRows = new Map<number, Float64Array>();
  private saved: { batch: TokenBatch; counts: Float64Array; out: Float64Array; norms: Float64Array } | null = null;

  constructor(readonly table: Floats, dim: number, opts: EmbeddingBagTowerOptions = {}) {
    if (!Number.isInteger(dim) || dim < 1 || table.length % dim !== 0) throw invalidArgument('EmbeddingBagTower dim', `a divisor of the table length ${table.length}`, dim);
    this.dim = dim;
    this.name = opts.name ?? 'embedding-bag';
    this.rows = table.length / dim;
    this.padId = opts.padId ?? 0;
    this.unkId = opts.unkId ?? 1;
    this.lrEmb = opts.lrEmbeddings ?? 1e-3;
    if (!(this.lrEmb >= 0)) throw invalidArgument('lrEmbeddings', 'a number >= 0', this.lrEmb);
    this.head = opts.head ? new LinearHead(dim, opts.lrHead ?? 1e-3) : null;
  }

  describe(): string {
    return `${this.name}${this.head ? '+head' : ''}`;
  }

  private weight(id: number, mask: number): number {
    return mask !== 0 && id !== this.unkId ? 1 : 0;
  }

  forward(batch: TokenBatch): Matrix {
    checkTokenBatch(batch);
    const { batchSize: B, seqLength: L, inputIds: ids, attentionMask: mask } = batch;
    const d = this.dim;
    const T = this.table;
    const mean = new Float64Array(B * d);
    const counts = new Float64Array(B);
    for (let b = 0; b < B; b++) {
      let c = 0;
      for (let t = 0; t < L; t++) {
        const id = ids[b * L + t];
        if (!this.weight(id, mask[b * L + t])) continue;
        if (!(id >= 0 && id < this.rows)) throw invalidArgument(`inputIds[${b}][${t}]`, `a token id in [0, ${this.rows})`, id);
        c++;
        for (let j = 0; j < d; j++) mean[b * d + j] += T[id * d + j];
      }
      counts[b] = Math.max(c, 1);
      for (let j = 0; j < d; j++) mean[b * d + j] /= counts[b];
    }
    const y = this.head ? this.head.forward(mean, B) : mean;
    const { out, norms } = l2NormalizeRows(y, B, d);
    this.saved = { batch, counts, out, norms };
    return toMatrix32(out, B, d);
  }

  async embed(batch: TokenBatch): Promise<Matrix> {
    const m = this.forward(batch);
    this.saved = null;
    return m;
  }

  backward(gradOut: Float64Array): void {
    const s = this.saved;
    if (!s) throw new LibvqError('INVALID_ARGUMENT', 'EmbeddingBagTower.backward: no forward pass to differentiate');
    const { batch, counts, out, norms } = s;
    const { batchSize: B, seqLength: L, inputIds: ids, attentionMask: mask } = batch;
    const d = this.dim;
    if (gradOut.length !== B * d) throw new LibvqError('DIMENSION_MISMATCH', `EmbeddingBagTower.backward: gradient has ${gradOut.length} values, expected ${B}x${d}`);
    const dy = l2NormalizeRowsBackward(out, norms, gradOut, B, d);
    const dMean = this.head ? this.head.backward(dy) : dy;
    if (this.lrEmb === 0) return;
    for (let b = 0; b < B; b++) {
      const inv = 1 / counts[b];
      for (let t = 0; t < L; t++) {
        const id = ids[b * L + t];
        if (!this.weight(id, mask[b * L + t])) continue;
        let g = this.gradRows.get(id);
        if (!g) this.gradRows.set(id, (g = new Float64Array(d)));
        for (let j = 0; j < d; j++) g[j] += dMean[b * d + j] * inv;
      }
    }
  }

  /** The accumulated gradient of the table as a dense copy (tests). */
  tableGrad(): Float64Array {
    const g = new Float64Array(this.table.length);
    for (const [r, v] of this.gradRows) g.set(v, r * this.dim);
    return g;
  }

  step(lrFactor = 1): void {
    if (this.lrEmb > 0 && this.gradRows.size > 0) {
      this.opt ??= this.newOptimizer();
      const rows = Int32Array.from([...this.gradRows.keys()].sort((a, b) => a - b));
      const g = new Float64Array(rows.length * this.dim);
      rows.forEach((r, i) => g.set(this.gradRows.get(r)!, i * this.dim));
      this.opt.stepRows(rows, g, lrFactor);
    }
    this.gradRows.clear();
    this.head?.step(lrFactor);
  }

  parameters(): Record<string, Floats> {
    return this.head ? { embedding: this.table, head: this.head.W } : { embedding: this.table };
  }

  /** The table, the head, and the sparse optimiser's moments (sparseMomentArrays: the rows that ever had a gradient). */
  exportState(): TowerState {
    const d = this.dim;
    const arrays: Record<string, Floats | Int32Array> = { embedding: this.table.slice() };
    const steps: Record<string, number> = { embedding: this.opt?.t ?? 0 };
    if (this.opt) Object.assign(arrays, sparseMomentArrays(this.opt, d, 'embedding'));
    if (this.head) {
      const h = this.head.exportState('head');
      Object.assign(arrays, h.arrays);
      Object.assign(steps, h.steps);
    }
    return { arrays, steps };
  }

  importState(s: TowerState): void {
    const name = this.describe();
    const d = this.dim;
    const Table = this.table instanceof Float64Array ? Float64Array : Float32Array;
    this.table.set(stateArray<Floats>(s, 'embedding', Table, this.table.length, name));
    const t = stateStep(s, 'embedding', name);
    this.opt = null;
    if (t > 0) {
      const opt = this.newOptimizer();
      restoreSparseMoments(opt, d, s, 'embedding', name);
      opt.t = t;
      this.opt = opt;
    }
    this.gradRows.clear();
    if (this.head) this.head.importState(s, 'head', name);
    else if ('head' in s.arrays) throw new LibvqError('BAD_FILE', `${name} state: has a head, this tower has none (build it with { head: true })`);
  }

  private newOptimizer(): AdamW {
    return new AdamW(this.table, this.dim, { lr: this.lrEmb, stateDtype: 'float32' }, `${this.name} embeddings`);
  }
}
