import { join } from 'node:path';
import { LibvqError } from '@libvq/index-core';
import type { Floats, LossWeights } from '../grad/types.js';
import type { RelData } from '../learnable/labels.js';
import type { TowerState } from '../tower/types.js';
import { readIndexCheckpointAt, readManifest, writeIndexCheckpoint, type CheckpointManifest, type IndexCheckpointData } from './learnable-checkpoint.js';
import { tensor, type Tensor } from '@libvq/index-core';
import { decodeSafetensors, encodeSafetensors, safeDtype, type DecodedSafetensors } from './safetensors.js';
import { readFileChecked } from './files.js';
import { checkFinite } from './validate.js';
import { readVersion } from './versioned-dir.js';

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

/** A CSR relation read back, checked: I32 vectors, rows increasing, ptr from 0 non-decreasing, documents < ntotal. */
function fromCsr(dec: DecodedSafetensors, file: string, name: string, ntotal: number): RelData {
  const vec = (part: string) => {
    const t = dec.tensors[`${name}.${part}`];
    if (!t) throw new LibvqError('BAD_FILE', `${file}: tensor "${name}.${part}" is missing`);
    if (safeDtype(t.data) !== 'I32' || t.shape.length !== 1) throw new LibvqError('BAD_FILE', `${file}: tensor "${name}.${part}" is ${safeDtype(t.data)} [${t.shape.join(', ')}], expected a vector of I32`);
    return t.data as Int32Array;
  };
  const rows = vec('rows');
  const ptr = vec('ptr');
  const idx = vec('idx');
  if (ptr.length !== rows.length + 1 || ptr[0] !== 0 || ptr[ptr.length - 1] !== idx.length) {
    throw new LibvqError('BAD_FILE', `${file}: tensors "${name}.*" are inconsistent (${rows.length} rows, ${ptr.length} pointers from ${ptr[0]} to ${ptr[ptr.length - 1]}, ${idx.length} documents)`);
  }
  const out: RelData = new Map();
  for (let i = 0; i < rows.length; i++) {
    if (!(rows[i] >= 0 && (i === 0 || rows[i] > rows[i - 1]))) throw new LibvqError('BAD_FILE', `${file}: tensor "${name}.rows" is not increasing non-negative query rows at [${i}] (${rows[i]})`);
    if (!(ptr[i] <= ptr[i + 1])) throw new LibvqError('BAD_FILE', `${file}: tensor "${name}.ptr" is not non-decreasing at [${i}]`);
    out.set(rows[i], idx.slice(ptr[i], ptr[i + 1]));
  }
  for (let i = 0; i < idx.length; i++) {
    if (!(idx[i] >= 0 && idx[i] < ntotal)) throw new LibvqError('BAD_FILE', `${file}: tensor "${name}.idx" holds document ${idx[i]} at [${i}], the index has ${ntotal} documents`);
  }
  return out;
}

/**
 * Saves the index (as writeIndexCheckpoint does; a LearnableIndex is IndexCheckpointData) plus
 * `train-state.safetensors`; atomic like every checkpoint. saveTrainCheckpoint (learnable/persist.ts) calls it.
 */
export function writeTrainCheckpoint(li: IndexCheckpointData, dir: string, s: TrainState, extra: Record<string, unknown> = {}): void {
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
  writeIndexCheckpoint(li, dir, {
    files: { [STATE]: bytes },
    manifest: { ...extra, train: { epochsDone: s.epochsDone, step: s.step, weights: s.weights, optimizerSteps: steps, towerSteps } },
  });
}

type TrainRecord = { epochsDone: number; step: number; weights: LossWeights | null; optimizerSteps: Record<string, number>; towerSteps?: Record<string, Record<string, number>> };

/**
 * Reads a checkpoint written by writeTrainCheckpoint (saveTrainCheckpoint) as plain data: the index as it was after
 * the epoch (see readIndexCheckpoint), and the state to resume. Reads one complete version even while other
 * processes save to `dir` (readVersion), and validates every tensor of the train state (see checkState).
 * loadTrainCheckpoint and LearnableIndex.resume (learnable/) make a LearnableIndex of the index.
 */
export function readTrainCheckpoint(dir: string): { index: IndexCheckpointData; state: TrainState; manifestExtra: Record<string, unknown> } {
  return readVersion(dir, (v) => {
    const m = readManifest(v);
    const manifestFile = join(v, 'manifest.json');
    const train = (m.extra as { train?: TrainRecord } | undefined)?.train;
    if (!train || !m.files[STATE]) throw new LibvqError('BAD_FILE', `${manifestFile}: not a training checkpoint (no train state; was it saved by fit with checkpointDir?)`);
    if (!(Number.isInteger(train.epochsDone) && train.epochsDone >= 1 && Number.isInteger(train.step) && train.step >= 0)) {
      throw new LibvqError('BAD_FILE', `${manifestFile}: extra.train.epochsDone / step are not valid (${train.epochsDone}, ${train.step})`);
    }
    const index = readIndexCheckpointAt(v);
    const file = join(v, STATE);
    const dec = decodeSafetensors(readFileChecked(v, STATE, m.files[STATE]), file);
    const state = checkState(dec, file, manifestFile, train, m);
    const { train: _t, ...manifestExtra } = m.extra as Record<string, unknown>;
    return { index, state, manifestExtra };
  });
}

/** The parameter each optimiser trains, by name: its arrays, and how many values each holds. */
function optimizerShapes(m: CheckpointManifest): Record<string, { arrays: string[]; length: number }> {
  const out: Record<string, { arrays: string[]; length: number }> = {};
  if (m.M > 0) out.codebooks = { arrays: ['m', 'v'], length: (1 << m.nbits) * m.d };
  if (m.nlist > 0) out.centroids = { arrays: ['m', 'v'], length: m.nlist * m.d };
  if (m.method === 'opq' || m.method === 'ivf_opq') out.rotation = { arrays: ['R', 'm', 'v'], length: m.d * m.dIn };
  return out;
}

/**
 * The train state's tensors and records, checked against the index: every tensor accounted for (rels, negs, the
 * listed optimisers' and towers' arrays), each optimiser's arrays present with its parameter's length, floating
 * arrays finite (a NaN moment would turn the first resumed step into NaN), step counts non-negative integers.
 */
function checkState(dec: DecodedSafetensors, file: string, manifestFile: string, train: TrainRecord, m: CheckpointManifest): TrainState {
  const known = new Set<string>();
  const rels = fromCsr(dec, file, 'rels', m.ntotal);
  for (const k of ['rows', 'ptr', 'idx']) known.add(`rels.${k}`);
  let negs: RelData | null = null;
  if (dec.tensors['negs.rows'] || dec.tensors['negs.ptr'] || dec.tensors['negs.idx']) {
    negs = fromCsr(dec, file, 'negs', m.ntotal);
    for (const k of ['rows', 'ptr', 'idx']) known.add(`negs.${k}`);
  }
  const count = (what: string, t: unknown) => {
    if (!(Number.isInteger(t) && (t as number) >= 0)) throw new LibvqError('BAD_FILE', `${manifestFile}: ${what} = ${JSON.stringify(t)}, expected a non-negative integer`);
    return t as number;
  };
  const w = train.weights;
  if (w !== null && (typeof w !== 'object' || !Object.values(w).every((x) => Number.isFinite(x)))) {
    throw new LibvqError('BAD_FILE', `${manifestFile}: extra.train.weights = ${JSON.stringify(w)}, expected null or finite loss weights`);
  }
  const shapes = optimizerShapes(m);
  const optimizers: Record<string, OptimizerState> = {};
  for (const [o, t] of Object.entries(train.optimizerSteps ?? {})) {
    const shape = shapes[o];
    if (!shape) throw new LibvqError('BAD_FILE', `${manifestFile}: extra.train.optimizerSteps names "${o}", which a ${m.factory} index does not train (expected ${Object.keys(shapes).join(', ') || 'none'})`);
    const arrays: Record<string, Floats> = {};
    for (const k of shape.arrays) {
      const name = `opt.${o}.${k}`;
      const x = dec.tensors[name];
      if (!x) throw new LibvqError('BAD_FILE', `${file}: tensor "${name}" is missing`);
      if (!(safeDtype(x.data) === 'F32' || safeDtype(x.data) === 'F64') || x.shape.length !== 1 || x.shape[0] !== shape.length) {
        throw new LibvqError('BAD_FILE', `${file}: tensor "${name}" is ${safeDtype(x.data)} [${x.shape.join(', ')}], expected F32 or F64 [${shape.length}] (the ${o} of ${m.factory})`);
      }
      checkFinite(file, name, x.data, x.shape);
      arrays[k] = x.data as Floats;
      known.add(name);
    }
    optimizers[o] = { t: count(`extra.train.optimizerSteps.${o}`, t), arrays };
  }
  const towers: Record<string, TowerState> = {};
  for (const [role, steps] of Object.entries(train.towerSteps ?? {})) {
    for (const [k, t] of Object.entries(steps ?? {})) count(`extra.train.towerSteps.${role}.${k}`, t);
    const arrays: Record<string, Floats | Int32Array> = {};
    const prefix = `tower.${role}.`;
    for (const [name, x] of Object.entries(dec.tensors)) {
      if (!name.startsWith(prefix)) continue;
      if (!(x.data instanceof Float32Array || x.data instanceof Float64Array || x.data instanceof Int32Array)) throw new LibvqError('BAD_FILE', `${file}: tensor "${name}" is ${safeDtype(x.data)}, expected F32, F64 or I32`);
      if (x.shape.length !== 1) throw new LibvqError('BAD_FILE', `${file}: tensor "${name}" has shape [${x.shape.join(', ')}], expected a vector`);
      checkFinite(file, name, x.data, x.shape);
      arrays[name.slice(prefix.length)] = x.data;
      known.add(name);
    }
    towers[role] = { arrays, steps };
  }
  for (const name of Object.keys(dec.tensors)) {
    if (!known.has(name)) throw new LibvqError('BAD_FILE', `${file}: tensor "${name}" belongs to no part of the train state (optimisers listed in ${manifestFile}: ${Object.keys(optimizers).join(', ') || 'none'}; towers: ${Object.keys(towers).join(', ') || 'none'})`);
  }
  return { epochsDone: train.epochsDone, step: train.step, weights: train.weights, rels, negs, optimizers, ...(Object.keys(towers).length ? { towers } : {}) };
}
