import { LibvqError, type Matrix } from '@libvq/index-core';
import { checkMatrix } from '@libvq/index-core/util';
import type { Tower, TokenBatch } from '@libvq/encoder';
import type { Floats } from '../grad/types.js';
import { LinearHead, l2NormalizeRows, l2NormalizeRowsBackward, toMatrix32 } from './linear-head.js';
import type { TowerState, TrainableTower } from './types.js';

export interface HeadTowerOptions {
  lr?: number;
  /** L2-normalise the head's output. Default: whether the frozen tower's output is normalised. */
  normalize?: boolean;
}

/**
 * Any frozen tower — an OnnxEncoder is the case this exists for — made trainable through a linear head:
 * out = [normalise] (W · base(batch)), W initialised to the identity. The ONNX model itself is NOT trained:
 * onnxruntime-node runs inference only, so gradients stop at the head. That is the documented limit of
 * training an ONNX tower in libvq-ts; a model whose own weights must move needs a TrainableTower of its own.
 */
export class HeadTower implements TrainableTower {
  readonly dim: number;
  readonly head: LinearHead;
  private readonly normalize: boolean;
  private saved: { B: number; out: Float64Array; norms: Float64Array | null } | null = null;

  constructor(readonly base: Tower, opts: HeadTowerOptions = {}) {
    this.dim = base.dim;
    this.head = new LinearHead(base.dim, opts.lr ?? 1e-3);
    this.normalize = opts.normalize ?? base.normalized?.() ?? false;
  }

  describe(): string {
    return `${this.base.describe?.() ?? 'custom'}+linear-head`;
  }

  /** Applies the head to embeddings the frozen tower already produced (B x dim). */
  forwardEmbeddings(e: Matrix): Matrix {
    checkMatrix(e, 'frozen tower output', this.dim);
    const B = e.rows;
    const y = this.head.forward(Float64Array.from(e.data), B);
    if (!this.normalize) {
      this.saved = { B, out: y, norms: null };
      return toMatrix32(y, B, this.dim);
    }
    const { out, norms } = l2NormalizeRows(y, B, this.dim);
    this.saved = { B, out, norms };
    return toMatrix32(out, B, this.dim);
  }

  async forward(batch: TokenBatch): Promise<Matrix> {
    return this.forwardEmbeddings(await this.base.embed(batch));
  }

  async embed(batch: TokenBatch): Promise<Matrix> {
    const m = await this.forward(batch);
    this.saved = null;
    return m;
  }

  backward(gradOut: Float64Array): void {
    const s = this.saved;
    if (!s) throw new LibvqError('INVALID_ARGUMENT', 'HeadTower.backward: no forward pass to differentiate');
    const dy = s.norms ? l2NormalizeRowsBackward(s.out, s.norms, gradOut, s.B, this.dim) : gradOut;
    this.head.backward(dy);
  }

  step(lrFactor = 1): void {
    this.head.step(lrFactor);
  }

  parameters(): Record<string, Floats> {
    return { head: this.head.W };
  }

  exportState(): TowerState {
    return this.head.exportState('head');
  }

  importState(s: TowerState): void {
    this.head.importState(s, 'head', this.describe());
  }
}
