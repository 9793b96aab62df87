import type { Matrix } from '@libvq/index-core';
import type { TokenBatch } from '@libvq/encoder';
import type { Floats } from '../grad/types.js';

/**
 * The contract of an encoder tower that training can update (issue 6, "trainable encoders"). One step is
 *   out = forward(batch)            B x dim, remembering what backward needs
 *   backward(dOut)                  dOut = dLoss/dout (B x dim, float64); accumulates parameter gradients
 *   step(lrFactor)                  applies them (its own optimiser; lrFactor = the schedule's factor), clears them
 * `forward` may be async (a tower on top of an ONNX model awaits onnxruntime). A user's BaseEncoder subclass
 * joins training by implementing this interface for its query (or doc) tower.
 */
export interface TrainableTower {
  readonly dim: number;
  forward(batch: TokenBatch): Matrix | Promise<Matrix>;
  backward(gradOut: Float64Array): void;
  step(lrFactor?: number): void;
  /** The trainable arrays by name (saved in checkpoints). */
  parameters(): Record<string, Floats>;
  /** Inference (no state kept for backward). */
  embed(batch: TokenBatch): Promise<Matrix>;
  describe?(): string;
}

export function isTrainableTower(x: unknown): x is TrainableTower {
  const t = x as TrainableTower;
  return t != null && typeof t.forward === 'function' && typeof t.backward === 'function' && typeof t.step === 'function' && typeof t.parameters === 'function';
}
