import { join } from 'node:path';
import { LibvqError, describeIndex, deserializeIndex, serializeIndex } from '@libvq/index-core';
import { checkMetric } from '@libvq/index-core/util';
import type { Index, Metric } from '@libvq/index-core';
import { inspectIndex, readAssignments, type IndexParts, type LearnableMethod } from '../learnable/structure.js';
import { tensor, type Tensor } from '@libvq/index-core';
import { decodeSafetensors, encodeSafetensors, expectTensor, safeDtype } from './safetensors.js';
import { readFileChecked, sha256, writeDirAtomic } from './files.js';
import { checkAgainstManifest, checkEqual, checkFinite } from './validate.js';
import { readVersion } from './versioned-dir.js';

export const CHECKPOINT_FORMAT = 'libvq-ts.learnable-index';
export const CHECKPOINT_VERSION = 2;
const TENSORS = 'tensors.safetensors';
const INDEX = 'index.faiss';
const MANIFEST = 'manifest.json';
const METHODS: readonly LearnableMethod[] = ['ivf', 'ivf_pq', 'ivf_opq', 'pq', 'opq'];

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  library: { name: '@libvq/train'; version: string };
  method: LearnableMethod;
  metric: Metric;
  factory: string;
  dIn: number;
  d: number;
  nlist: number;
  M: number;
  nbits: number;
  ntotal: number;
  files: Record<string, { sha256: string; bytes: number }>;
  tensors: Record<string, { dtype: string; shape: number[] }>;
  extra?: Record<string, unknown>;
}

/** Extra files and manifest fields a caller (LearnableIndexWithEncoder, per-epoch checkpoints) stores alongside. */
export interface CheckpointExtra {
  files?: Record<string, Uint8Array>;
  /** Free-form JSON stored under manifest.extra. */
  manifest?: Record<string, unknown>;
}

/**
 * What a learnable-index checkpoint holds, as plain data: the index, its parts (inspectIndex) and the placer, the
 * frozen copy of the index's parameters that encodes documents added later (see LearnableIndex.placer). A LearnableIndex is one; LearnableIndex.load / save (and
 * loadLearnableIndex / saveLearnableIndex, learnable/persist.ts) turn this data into a LearnableIndex and back, so
 * this module never depends on LearnableIndex.
 */
export interface IndexCheckpointData {
  readonly index: Index;
  readonly parts: IndexParts;
  readonly placer: Index;
}

/**
 * Saves a learnable index (as plain data, see IndexCheckpointData) as a checkpoint directory:
 * - `index.faiss`: the trained index in faiss's binary format (faiss.read_index reads it; ids = document rows);
 * - `tensors.safetensors`: the trained rotation / IVF centres / codebooks (for tools that want the tensors without
 *   parsing faiss) and the placer's parameters, which encode documents added later (`assign.*`);
 * - `manifest.json`: format, versions, shapes, sha256 and size of every file.
 * Written atomically (writeDirAtomic): `dir` is a symlink to an immutable version in `.<name>.versions/` next to it
 * (see versioned-dir.ts), so concurrent saves and loads are safe and `dir/index.faiss` opens as a plain file.
 * To delete a checkpoint, remove both.
 */
export function writeIndexCheckpoint(li: IndexCheckpointData, dir: string, extra: CheckpointExtra = {}): void {
  const p = li.parts;
  const t: Record<string, Tensor> = {};
  const placer = inspectIndex(li.placer);
  for (const [prefix, q] of [['', p], ['assign.', placer]] as const) {
    if (q.rotation) t[`${prefix}rotation`] = tensor(Float32Array.from(q.rotation), [p.d, p.dIn]);
    if (q.centroids) t[`${prefix}ivf_centers`] = tensor(Float32Array.from(q.centroids), [q.nlist, p.d]);
    if (q.codebooks) t[`${prefix}codebook`] = tensor(Float32Array.from(q.codebooks.data), [q.codebooks.M, q.codebooks.ksub, q.codebooks.dsub]);
  }
  const files: Record<string, Uint8Array> = {
    [INDEX]: serializeIndex(li.index),
    [TENSORS]: encodeSafetensors(t, { format: CHECKPOINT_FORMAT }),
    ...extra.files,
  };
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    library: { name: '@libvq/train', version: '0.1.0' },
    method: p.method,
    metric: p.metric,
    factory: describeIndex(li.index),
    dIn: p.dIn,
    d: p.d,
    nlist: p.nlist,
    M: p.codebooks?.M ?? 0,
    nbits: p.codebooks?.nbits ?? 0,
    ntotal: li.index.ntotal,
    files: Object.fromEntries(Object.entries(files).map(([k, b]) => [k, { sha256: sha256(b), bytes: b.length }])),
    tensors: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { dtype: safeDtype(v.data), shape: [...v.shape] }])),
    ...(extra.manifest ? { extra: extra.manifest } : {}),
  };
  writeDirAtomic(dir, { ...files, [MANIFEST]: new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n') });
}

export function readManifest(dir: string): CheckpointManifest {
  const path = join(dir, MANIFEST);
  const text = new TextDecoder().decode(readFileChecked(dir, MANIFEST));
  let m: CheckpointManifest;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new LibvqError('BAD_FILE', `${path}: not valid JSON`, { cause: e });
  }
  if (m?.format !== CHECKPOINT_FORMAT) throw new LibvqError('BAD_FILE', `${path}: format ${JSON.stringify(m?.format)}, expected "${CHECKPOINT_FORMAT}"`);
  if (m.version !== CHECKPOINT_VERSION) throw new LibvqError('BAD_FILE', `${path}: version ${m.version}, this library reads version ${CHECKPOINT_VERSION}`);
  if (!METHODS.includes(m.method)) throw new LibvqError('BAD_FILE', `${path}: method ${JSON.stringify(m.method)}, expected one of ${METHODS.join(', ')}`);
  checkMetric(m.metric, `${path}: metric`);
  for (const k of ['dIn', 'd', 'nlist', 'M', 'nbits', 'ntotal'] as const) {
    if (!Number.isInteger(m[k]) || m[k] < 0) throw new LibvqError('BAD_FILE', `${path}: ${k} = ${JSON.stringify(m[k])}, expected a non-negative integer`);
  }
  if (!m.files?.[INDEX]) throw new LibvqError('BAD_FILE', `${path}: no entry for ${INDEX} in files`);
  if (!m.files?.[TENSORS]) throw new LibvqError('BAD_FILE', `${path}: no entry for ${TENSORS} in files`);
  return m;
}

/**
 * Reads a checkpoint written by writeIndexCheckpoint (saveLearnableIndex), verifying checksums, shapes, values and
 * consistency, and returns it as plain data (LearnableIndex.load makes a LearnableIndex of it). Safe while other
 * processes save to `dir`: it reads one complete version (readVersion).
 */
export function readIndexCheckpoint(dir: string): IndexCheckpointData {
  return readVersion(dir, readIndexCheckpointAt);
}

/**
 * readIndexCheckpoint on one version directory. The index must be one a LearnableIndex can wrap (inspectIndex) with
 * ids = the document rows (readAssignments). Every tensor is checked: listed in the manifest with its dtype and
 * shape, present exactly when the index has the part (rotation / IVF / PQ), shaped by the manifest's d, dIn,
 * nlist, M and nbits (so the tensors agree with each other and with index.faiss), finite; the trained tensors
 * must equal index.faiss's parameters, which must be finite too.
 */
export function readIndexCheckpointAt(dir: string): IndexCheckpointData {
  const m = readManifest(dir);
  const manifestFile = join(dir, MANIFEST);
  const file = join(dir, TENSORS);
  const dec = decodeSafetensors(readFileChecked(dir, TENSORS, m.files[TENSORS]), file);
  checkAgainstManifest(dec, file, m.tensors, manifestFile);
  const indexFile = join(dir, INDEX);
  const index = deserializeIndex(readFileChecked(dir, INDEX, m.files[INDEX]), { name: indexFile });
  const p = inspectIndex(index);
  readAssignments(p); // validates that ids are the rows 0..n-1
  const got = { method: p.method, metric: p.metric, dIn: p.dIn, d: p.d, nlist: p.nlist, M: p.codebooks?.M ?? 0, nbits: p.codebooks?.nbits ?? 0, ntotal: index.ntotal };
  for (const [k, v] of Object.entries(got)) {
    if (m[k as keyof typeof got] !== v) throw new LibvqError('BAD_FILE', `${indexFile}: ${k} = ${v}, the manifest says ${m[k as keyof typeof got]}`);
  }
  const ksub = 1 << m.nbits;
  const dsub = p.codebooks ? m.d / m.M : 0;
  // index.faiss's own parameters: what searches use (a NaN there passes its reader)
  const params: [string, string, Float32Array | null, number[]][] = [
    ['rotation', 'OPQ rotation', p.rotation, [m.d, m.dIn]],
    ['ivf_centers', 'IVF centroids', p.centroids, [m.nlist, m.d]],
    ['codebook', 'PQ codebooks', p.codebooks?.data ?? null, [m.M, ksub, dsub]],
  ];
  const expected = new Set<string>();
  const snap: Record<string, Float32Array | null> = {};
  for (const [name, what, ref, shape] of params) {
    if (!ref) continue;
    checkFinite(indexFile, what, ref, shape);
    const trained = expectTensor(dec, file, name, 'F32', shape).data as Float32Array;
    checkFinite(file, name, trained, shape);
    checkEqual(file, name, trained, indexFile, what, ref);
    const assign = expectTensor(dec, file, `assign.${name}`, 'F32', shape).data as Float32Array;
    checkFinite(file, `assign.${name}`, assign, shape);
    snap[name] = assign;
    expected.add(name).add(`assign.${name}`);
  }
  for (const name of Object.keys(dec.tensors)) {
    if (!expected.has(name)) throw new LibvqError('BAD_FILE', `${file}: tensor "${name}" does not belong to a ${m.factory} checkpoint (expected ${[...expected].join(', ')})`);
  }
  // The placer: a copy of the index whose parameters are the stored assign.* tensors.
  const placer = index.cloneEmpty();
  const q = inspectIndex(placer);
  if (q.rotation) q.rotation.set(snap.rotation!);
  if (q.centroids) q.centroids.set(snap.ivf_centers!);
  if (q.codebooks) q.codebooks.data.set(snap.codebook!);
  placer.parametersChanged();
  return { index, parts: p, placer };
}
