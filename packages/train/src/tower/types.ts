import { LibvqError, type Matrix } from '@libvq/index-core';
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
  /**
   * Everything needed to continue training exactly where it stopped: the parameters and the optimisers'
   * moments and step counts, copied (called between steps, when no gradient is pending). Per-epoch
   * checkpoints store it; a tower without it cannot be checkpointed for resume.
   */
  exportState?(): TowerState;
  /** Restores exportState()'s output into a tower built like the exported one (same kind, same shapes). */
  importState?(state: TowerState): void;
}

/** A tower's training state: named arrays (parameters, moments, sparse row indices) and optimisers' step counts. */
export interface TowerState {
  readonly arrays: Record<string, Floats | Int32Array>;
  readonly steps: Record<string, number>;
}

/** The array `name` of a tower state, checked for presence, type and length (errors name the tower and the array). */
export function stateArray<T extends Floats | Int32Array>(
  s: TowerState,
  name: string,
  ctor: abstract new (...a: never[]) => T,
  length: number | null,
  tower: string,
): T {
  const a = s.arrays[name];
  if (!(a instanceof ctor)) throw new LibvqError('BAD_FILE', `${tower} state: array ${name} ${a ? `is a ${a.constructor.name}, expected ${ctor.name}` : 'is missing'}`);
  if (length !== null && a.length !== length) throw new LibvqError('BAD_FILE', `${tower} state: array ${name} has ${a.length} values, the tower's has ${length}`);
  return a;
}

/** The step count `name` of a tower state (a non-negative integer). */
export function stateStep(s: TowerState, name: string, tower: string): number {
  const t = s.steps[name];
  if (!(Number.isInteger(t) && t >= 0)) throw new LibvqError('BAD_FILE', `${tower} state: step count ${name} = ${JSON.stringify(t)}, expected an integer >= 0`);
  return t;
}

export function isTrainableTower(x: unknown): x is TrainableTower {
  const t = x as TrainableTower;
  return t != null && typeof t.forward === 'function' && typeof t.backward === 'function' && typeof t.step === 'function' && typeof t.parameters === 'function';
}
