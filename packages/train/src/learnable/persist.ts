import { readIndexCheckpoint, writeIndexCheckpoint, type CheckpointExtra } from '../checkpoint/learnable-checkpoint.js';
import { readTrainCheckpoint, writeTrainCheckpoint, type TrainState } from '../checkpoint/train-state.js';
import { LearnableIndex } from './learnable-index.js';

// The checkpoint functions that take or return a LearnableIndex. They sit above both checkpoint/ (which reads and
// writes plain data: IndexCheckpointData, TrainState) and learnable-index.ts, so neither imports the other's values
// in a cycle.

/**
 * Saves a learnable index as a checkpoint directory (`index.faiss`, `tensors.safetensors`, `manifest.json`; see
 * writeIndexCheckpoint). Same as `li.save(dir, extra)`.
 */
export function saveLearnableIndex(li: LearnableIndex, dir: string, extra: CheckpointExtra = {}): void {
  writeIndexCheckpoint(li, dir, extra);
}

/**
 * Loads a checkpoint written by saveLearnableIndex, verifying checksums, shapes, values and consistency (see
 * readIndexCheckpoint). Safe while other processes save to `dir`: it reads one complete version (readVersion).
 * Same as `LearnableIndex.load(dir)`.
 */
export function loadLearnableIndex(dir: string): LearnableIndex {
  return LearnableIndex.fromCheckpoint(readIndexCheckpoint(dir));
}

/** Saves the index (as saveLearnableIndex does) plus `train-state.safetensors`; atomic like every checkpoint. */
export function saveTrainCheckpoint(li: LearnableIndex, dir: string, s: TrainState, extra: Record<string, unknown> = {}): void {
  writeTrainCheckpoint(li, dir, s, extra);
}

/**
 * Loads a checkpoint written by saveTrainCheckpoint: the index as it was after the epoch, and the state to resume.
 * Reads one complete version even while other processes save to `dir` (readVersion), and validates every tensor
 * of the train state (see readTrainCheckpoint).
 */
export function loadTrainCheckpoint(dir: string): { index: LearnableIndex; state: TrainState; manifestExtra: Record<string, unknown> } {
  const { index, state, manifestExtra } = readTrainCheckpoint(dir);
  return { index: LearnableIndex.fromCheckpoint(index), state, manifestExtra };
}
