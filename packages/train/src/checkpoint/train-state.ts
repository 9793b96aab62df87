import { join } from 'node:path';
import { LibvqError } from '@libvq/index-core';
import type { Floats, LossWeights } from '../grad/types.js';
import type { RelData } from '../learnable/labels.js';
import type { LearnableIndex } from '../learnable/learnable-index.js';
import type { TowerState } from '../tower/types.js';
import { loadLearnableIndex, readManifest, saveLearnableIndex } from './learnable-checkpoint.js';
import { decodeSafetensors, encodeSafetensors, tensor, type Tensor } from './safetensors.js';
import { readFileChecked } from './files.js';

const STATE = 'train-state.safetensors';

/** One optimiser's state: its step count and its arrays (moments, master copies). */
export interface OptimizerState {
  t: number;
  arrays: Record<string, Floats>;
}

/**
 * Everything fit needs to continue after a completed epoch exactly as if it had not stopped: the labels it
 * trains on (virtual labels are computed from the *initial* index, which training has changed since), the
 * optimisers' moments, the schedule position and the measured loss weights.
 */
export interface TrainState {
  epochsDone: number;
  step: number;
  weights: LossWeights | null;
  rels: RelData;
  negs: RelData | null;
  optimizers: Record<string, OptimizerState>;
  /**
   * The trained towers' states by role ('query', 'doc'): parameters and optimiser moments
   * (TrainableTower.exportState), so a resumed run continues the towers exactly too.
   */
  towers?: Record<string, TowerState>;
}

function toCsr(r: RelData): { ptr: Int32Array; idx: Int32Array; rows: Int32Array } {
  const keys = [...r.keys()].sort((a, b) => a - b);
  const ptr = new Int32Array(keys.length + 1);
  let n = 0;
  for (let i = 0; i < keys.length; i++) {
    n += r.get(keys[i])!.length;
    ptr[i + 1] = n;
  }
  const idx = new Int32Array(n);
  keys.forEach((k, i) => idx.set(Array.from(r.get(k)!), ptr[i]));
  return { ptr, idx, rows: Int32Array.from(keys) };
}

function fromCsr(rows: Int32Array, ptr: Int32Array, idx: Int32Array, file: string, name: string): RelData {
  if (ptr.length !== rows.length + 1 || ptr[ptr.length - 1] !== idx.length) throw new LibvqError('BAD_FILE', `${file}: ${name} index arrays are inconsistent`);
  const out: RelData = new Map();
  for (let i = 0; i < rows.length; i++) {
    if (!(ptr[i] <= ptr[i + 1])) throw new LibvqError('BAD_FILE', `${file}: ${name}.ptr is not non-decreasing at ${i}`);
    out.set(rows[i], idx.slice(ptr[i], ptr[i + 1]));
  }
  return out;
}

/** Saves the index (as saveLearnableIndex does) plus `train-state.safetensors`; atomic like every checkpoint. */
export function saveTrainCheckpoint(li: LearnableIndex, dir: string, s: TrainState, extra: Record<string, unknown> = {}): void {
  const t: Record<string, Tensor> = {};
  const put = (name: string, r: RelData) => {
    const c = toCsr(r);
    t[`${name}.rows`] = tensor(c.rows, [c.rows.length]);
    t[`${name}.ptr`] = tensor(c.ptr, [c.ptr.length]);
    t[`${name}.idx`] = tensor(c.idx, [c.idx.length]);
  };
  put('rels', s.rels);
  if (s.negs) put('negs', s.negs);
  const steps: Record<string, number> = {};
  for (const [o, st] of Object.entries(s.optimizers)) {
    steps[o] = st.t;
    for (const [k, a] of Object.entries(st.arrays)) t[`opt.${o}.${k}`] = tensor(a, [a.length]);
  }
  const towerSteps: Record<string, Record<string, number>> = {};
  for (const [role, ts] of Object.entries(s.towers ?? {})) {
    towerSteps[role] = { ...ts.steps };
    for (const [k, a] of Object.entries(ts.arrays)) t[`tower.${role}.${k}`] = tensor(a, [a.length]);
  }
  const bytes = encodeSafetensors(t, { format: 'libvq-ts.train-state' });
  saveLearnableIndex(li, dir, {
    files: { [STATE]: bytes },
    manifest: { ...extra, train: { epochsDone: s.epochsDone, step: s.step, weights: s.weights, optimizerSteps: steps, towerSteps } },
  });
}

/** Loads a checkpoint written by saveTrainCheckpoint: the index as it was after the epoch, and the state to resume. */
export function loadTrainCheckpoint(dir: string): { index: LearnableIndex; state: TrainState; manifestExtra: Record<string, unknown> } {
  const m = readManifest(dir);
  const file = join(dir, STATE);
  const train = (m.extra as { train?: { epochsDone: number; step: number; weights: LossWeights | null; optimizerSteps: Record<string, number>; towerSteps?: Record<string, Record<string, number>> } } | undefined)?.train;
  if (!train || !m.files[STATE]) throw new LibvqError('BAD_FILE', `${join(dir, 'manifest.json')}: not a training checkpoint (no train state; was it saved by fit with checkpointDir?)`);
  if (!(Number.isInteger(train.epochsDone) && train.epochsDone >= 1 && Number.isInteger(train.step) && train.step >= 0)) {
    throw new LibvqError('BAD_FILE', `${join(dir, 'manifest.json')}: extra.train.epochsDone / step are not valid (${train.epochsDone}, ${train.step})`);
  }
  const dec = decodeSafetensors(readFileChecked(dir, STATE, m.files[STATE]), file);
  const get = (n: string) => {
    const x = dec.tensors[n];
    if (!x) throw new LibvqError('BAD_FILE', `${file}: tensor ${n} is missing`);
    return x.data;
  };
  const rels = fromCsr(get('rels.rows') as Int32Array, get('rels.ptr') as Int32Array, get('rels.idx') as Int32Array, file, 'rels');
  const negs = dec.tensors['negs.rows'] ? fromCsr(get('negs.rows') as Int32Array, get('negs.ptr') as Int32Array, get('negs.idx') as Int32Array, file, 'negs') : null;
  const optimizers: Record<string, OptimizerState> = {};
  for (const [o, t] of Object.entries(train.optimizerSteps ?? {})) {
    const arrays: Record<string, Floats> = {};
    const prefix = `opt.${o}.`;
    for (const [name, x] of Object.entries(dec.tensors)) if (name.startsWith(prefix)) arrays[name.slice(prefix.length)] = x.data as Floats;
    optimizers[o] = { t, arrays };
  }
  const towers: Record<string, TowerState> = {};
  for (const [role, steps] of Object.entries(train.towerSteps ?? {})) {
    const arrays: Record<string, Floats | Int32Array> = {};
    const prefix = `tower.${role}.`;
    for (const [name, x] of Object.entries(dec.tensors)) {
      if (!name.startsWith(prefix)) continue;
      if (!(x.data instanceof Float32Array || x.data instanceof Float64Array || x.data instanceof Int32Array)) throw new LibvqError('BAD_FILE', `${file}: tensor ${name} is ${x.dtype}, expected F32, F64 or I32`);
      arrays[name.slice(prefix.length)] = x.data;
    }
    towers[role] = { arrays, steps };
  }
  const { train: _t, ...manifestExtra } = m.extra as Record<string, unknown>;
  return {
    index: loadLearnableIndex(dir),
    state: { epochsDone: train.epochsDone, step: train.step, weights: train.weights, rels, negs, optimizers, ...(Object.keys(towers).length ? { towers } : {}) },
    manifestExtra,
  };
}
