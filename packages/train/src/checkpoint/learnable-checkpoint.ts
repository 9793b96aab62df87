import { join } from 'node:path';
import { IndexIVFPQ, IndexPQ, LibvqError, checkMetric } from '@libvq/index-core';
import type { Metric } from '@libvq/index-core';
import type { AssignSnapshot } from '../learnable/assigner.js';
import { LearnableIndex, buildIndex, type LearnableMethod } from '../learnable/learnable-index.js';
import { readAssignments } from '../learnable/structure.js';
import { decodeSafetensors, encodeSafetensors, expectTensor, tensor, type Tensor } from './safetensors.js';
import { readFileChecked, sha256, writeDirAtomic } from './files.js';

export const CHECKPOINT_FORMAT = 'libvq-ts.learnable-index';
export const CHECKPOINT_VERSION = 1;
const TENSORS = 'tensors.safetensors';
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
}

/**
 * Saves a learnable index as a checkpoint directory: `tensors.safetensors` (the trained rotation / IVF centres /
 * codebooks, the snapshot quantizer that places new documents, and the stored lists and codes by document id)
 * and `manifest.json` (format, versions, shapes, sha256 of every file). Written atomically (writeDirAtomic).
 */
export function saveLearnableIndex(li: LearnableIndex, dir: string): void {
  const p = li.parts;
  const a = readAssignments(p);
  const t: Record<string, Tensor> = {};
  if (p.opq) t.rotation = tensor(Float32Array.from(p.opq.A), [p.d, p.dIn]);
  if (p.ivf) t.ivf_centers = tensor(Float32Array.from(p.ivf.centroids.data), [p.ivf.nlist, p.d]);
  if (p.pq) t.codebook = tensor(Float32Array.from(p.pq.centroids), [p.pq.M, p.pq.ksub, p.pq.dsub]);
  if (a.lists) t.doc_lists = tensor(a.lists, [a.n]);
  if (a.codes) t.doc_codes = tensor(a.codes, [a.n, p.pq!.M]);
  if (p.method === 'ivf') t.doc_vectors = tensor(ivfFlatVectors(li), [a.n, p.d]);
  const s = li.snapshot;
  if (s.rotation) t['assign.rotation'] = tensor(s.rotation, [p.d, p.dIn]);
  if (s.centroids) t['assign.ivf_centers'] = tensor(s.centroids, [s.nlist, p.d]);
  if (s.codebooks) t['assign.codebook'] = tensor(s.codebooks, [s.M, s.ksub, s.dsub]);
  const bytes = encodeSafetensors(t, { format: CHECKPOINT_FORMAT });
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    library: { name: '@libvq/train', version: '0.1.0' },
    method: p.method,
    metric: p.metric,
    factory: li.describe(),
    dIn: p.dIn,
    d: p.d,
    nlist: p.ivf?.nlist ?? 0,
    M: p.pq?.M ?? 0,
    nbits: p.pq?.nbits ?? 0,
    ntotal: a.n,
    files: { [TENSORS]: { sha256: sha256(bytes), bytes: bytes.length } },
    tensors: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { dtype: v.dtype, shape: [...v.shape] }])),
  };
  writeDirAtomic(dir, { [TENSORS]: bytes, [MANIFEST]: new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n') });
}

function ivfFlatVectors(li: LearnableIndex): Float32Array {
  const ivf = li.parts.ivf!;
  const d = li.parts.d;
  const out = new Float32Array(ivf.ntotal * d);
  for (let l = 0; l < ivf.nlist; l++) {
    const ids = ivf.invlists.ids[l];
    const codes = ivf.invlists.codes[l];
    for (let o = 0; o < ivf.invlists.sizes[l]; o++) {
      out.set(new Float32Array(codes.slice(o * d * 4, (o + 1) * d * 4).buffer), ids[o] * d);
    }
  }
  return out;
}

function readManifest(dir: string): CheckpointManifest {
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
  if (!m.files?.[TENSORS]) throw new LibvqError('BAD_FILE', `${path}: no entry for ${TENSORS} in files`);
  return m;
}

/** Loads a checkpoint written by saveLearnableIndex, verifying checksums, shapes and consistency. */
export function loadLearnableIndex(dir: string): LearnableIndex {
  const m = readManifest(dir);
  const file = join(dir, TENSORS);
  const dec = decodeSafetensors(readFileChecked(dir, TENSORS, m.files[TENSORS]), file);
  const hasIvf = m.method.startsWith('ivf');
  const hasPq = m.method !== 'ivf';
  const hasRot = m.method === 'ivf_opq' || m.method === 'opq';
  const ksub = 1 << m.nbits;
  const dsub = hasPq ? m.d / m.M : 0;
  const get = (name: string, dtype: 'F32' | 'I32' | 'U8', shape: number[]) => expectTensor(dec, file, name, dtype, shape).data;
  const rotation = hasRot ? (get('rotation', 'F32', [m.d, m.dIn]) as Float32Array) : null;
  const centroids = hasIvf ? (get('ivf_centers', 'F32', [m.nlist, m.d]) as Float32Array) : null;
  const codebooks = hasPq ? (get('codebook', 'F32', [m.M, ksub, dsub]) as Float32Array) : null;
  const { index, inner } = buildIndex({ method: m.method, metric: m.metric, dIn: m.dIn, d: m.d, nlist: m.nlist, M: m.M, nbits: m.nbits, rotation, centroids, codebooks });
  const n = m.ntotal;
  const codes = hasPq ? (get('doc_codes', 'U8', [n, m.M]) as Uint8Array) : null;
  if (codes) for (let i = 0; i < codes.length; i++) if (codes[i] >= ksub) throw new LibvqError('BAD_FILE', `${file}: doc_codes[${i}] = ${codes[i]} >= ksub ${ksub}`);
  if (inner instanceof IndexPQ) inner.appendCodes(codes!, n);
  else {
    const lists = get('doc_lists', 'I32', [n]) as Int32Array;
    for (let i = 0; i < n; i++) if (!(lists[i] >= 0 && lists[i] < m.nlist)) throw new LibvqError('BAD_FILE', `${file}: doc_lists[${i}] = ${lists[i]} outside [0, ${m.nlist})`);
    const ids = Float64Array.from({ length: n }, (_, i) => i);
    if (inner instanceof IndexIVFPQ) inner.invlists.appendBatch(lists, codes!, ids);
    else inner.addPreassigned({ rows: n, dim: m.d, data: get('doc_vectors', 'F32', [n, m.d]) as Float32Array }, lists, ids);
  }
  const snapshot: AssignSnapshot = {
    metric: m.metric, dIn: m.dIn, d: m.d,
    rotation: hasRot ? (get('assign.rotation', 'F32', [m.d, m.dIn]) as Float32Array) : null,
    centroids: hasIvf ? (get('assign.ivf_centers', 'F32', [m.nlist, m.d]) as Float32Array) : null,
    nlist: hasIvf ? m.nlist : 0,
    codebooks: hasPq ? (get('assign.codebook', 'F32', [m.M, ksub, dsub]) as Float32Array) : null,
    M: hasPq ? m.M : 0, ksub: hasPq ? ksub : 0, dsub,
  };
  return new LearnableIndex(index, snapshot);
}
