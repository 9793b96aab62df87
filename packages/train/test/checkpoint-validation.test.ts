import { cpSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '@libvq/index-core';
import { EmbeddingBagTower, LearnableIndex, loadTrainCheckpoint } from '../src/index.js';
import { decodeSafetensors, encodeSafetensors, safeDtype, sha256 } from '../src/checkpoint/index.js';
import { encodeTowerParameters, loadTowerParameters } from '../src/checkpoint/tower-files.js';
import { readManifest } from '../src/checkpoint/learnable-checkpoint.js';
import { clustered } from './fixtures.js';

/**
 * Every tensor of a checkpoint is validated on load (dtype, shape against the manifest and the index, agreement
 * with index.faiss, finite values). Each case edits one tensor of a good checkpoint and recomputes the file's
 * checksum in the manifest, as a tool (or a bug elsewhere) would: the checksum alone lets all of these through.
 */
const d = 16;
const { docs, queries } = clustered(21, 300, 50, d);
const tmp = mkdtempSync(join(tmpdir(), 'libvq-ck-valid-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const good = join(tmp, 'good');

beforeAll(() => {
  const li = LearnableIndex.create({ docEmbeddings: docs, indexMethod: 'ivf_opq', ivfCentersNum: 4, subvectorNum: 4, subvectorBits: 4, distMode: 'ip', seed: 2 });
  li.fitSync({
    queryEmbeddings: queries, docEmbeddings: docs, relData: null, epochs: 1, batchSize: 16, perQueryNegNum: 2, temperature: 0.1,
    lr: { codebooks: 1e-3, centroids: 1e-3, rotation: 1e-3 }, centroidOptimizer: 'adamw', seed: 2, checkpointDir: good,
  });
});

/** A copy of the good checkpoint as a plain directory (the files of its current version). */
function copy(name: string): string {
  const to = join(tmp, name);
  cpSync(join(dirname(good), readlinkSync(good)), to, { recursive: true });
  return to;
}

/** Rewrites safetensors file `name` of `dir` through `edit`, recomputing its checksum (and the tensors record) in the manifest. */
function rewrite(dir: string, name: string, edit: (t: Record<string, Tensor>) => void, record = true): void {
  const path = join(dir, name);
  const dec = decodeSafetensors(readFileSync(path), path);
  edit(dec.tensors);
  const buf = encodeSafetensors(dec.tensors, dec.metadata);
  writeFileSync(path, buf);
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  m.files[name] = { sha256: sha256(buf), bytes: buf.length };
  if (record && name === 'tensors.safetensors') {
    m.tensors = Object.fromEntries(Object.entries(dec.tensors).map(([k, v]) => [k, { dtype: safeDtype(v.data), shape: [...v.shape] }]));
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
}

function withValue(t: Tensor, i: number, x: number): Tensor {
  const data = (t.data as Float32Array).slice();
  data[i] = x;
  return tensor(data, t.shape);
}

describe('checkpoint tensors are validated on load', () => {
  it('the untouched checkpoint loads (the edits below are what fails)', () => {
    expect(LearnableIndex.load(copy('ok')).ntotal).toBe(300);
    expect(loadTrainCheckpoint(copy('ok2')).state.epochsDone).toBe(1);
  });

  it('a NaN in the rotation that places added documents, with a valid checksum, is refused naming the file and tensor', () => {
    const dir = copy('nan-assign');
    rewrite(dir, 'tensors.safetensors', (t) => (t['assign.rotation'] = withValue(t['assign.rotation'], 17, Number.NaN)));
    // element 17 of a [16, 16] rotation is [1, 1]
    expect(() => LearnableIndex.load(dir)).toThrow(/nan-assign\/tensors\.safetensors: tensor "assign\.rotation" holds NaN at \[1, 1\]/);
  });

  it('a NaN or a changed value in a trained tensor: refused (it must equal index.faiss)', () => {
    const nan = copy('nan-rot');
    rewrite(nan, 'tensors.safetensors', (t) => (t.rotation = withValue(t.rotation, 0, Number.NaN)));
    expect(() => LearnableIndex.load(nan)).toThrow(/tensor "rotation" holds NaN at \[0, 0\]/);
    const changed = copy('changed-cb');
    rewrite(changed, 'tensors.safetensors', (t) => (t.codebook = withValue(t.codebook, 5, 0.125)));
    expect(() => LearnableIndex.load(changed)).toThrow(/tensor "codebook" differs from the PQ codebooks of .*index\.faiss at value 5/);
    const huge = copy('huge');
    rewrite(huge, 'tensors.safetensors', (t) => (t['assign.ivf_centers'] = withValue(t['assign.ivf_centers'], 3, 1e30)));
    expect(() => LearnableIndex.load(huge)).toThrow(/tensor "assign\.ivf_centers" holds 1\.0+e\+30, beyond the bound ±1e\+15/);
  });

  it('a parameter of index.faiss itself beyond the vector bound is refused naming index.faiss', () => {
    // (index-core's reader already refuses NaN / Infinity in index.faiss; a finite 1e20 passes it but overflows
    // float32 squared distances)
    const li = LearnableIndex.load(copy('src'));
    li.parts.rotation![3] = 1e20; // a diverged run saved by code that did not check
    const dir = join(tmp, 'huge-index');
    li.save(dir);
    expect(() => LearnableIndex.load(dir)).toThrow(/huge-index\.versions\/v-[^/]+\/index\.faiss: tensor "OPQ rotation" holds 1\.0+e\+20, beyond the bound ±1e\+15 at \[0, 3\]/);
  });

  it('dtype and shape: against the manifest, against the index, and no tensor missing or extra', () => {
    const unlisted = copy('unlisted');
    rewrite(unlisted, 'tensors.safetensors', (t) => (t.codebook = tensor(Float32Array.from(t.codebook.data as Float32Array), [4, 16 * 4])), false);
    expect(() => LearnableIndex.load(unlisted)).toThrow(/tensor "codebook" is F32 \[4, 64\], .*manifest\.json records "F32" \[4,16,4\]/);
    const reshaped = copy('reshaped');
    rewrite(reshaped, 'tensors.safetensors', (t) => (t['assign.ivf_centers'] = tensor(Float32Array.from(t['assign.ivf_centers'].data as Float32Array), [64])));
    expect(() => LearnableIndex.load(reshaped)).toThrow(/tensor "assign\.ivf_centers" is F32 \[64\], expected F32 \[4, 16\]/);
    const f64 = copy('f64');
    rewrite(f64, 'tensors.safetensors', (t) => (t['assign.codebook'] = tensor(Float64Array.from(t['assign.codebook'].data as Float32Array), t['assign.codebook'].shape)));
    expect(() => LearnableIndex.load(f64)).toThrow(/tensor "assign\.codebook" is F64 \[4, 16, 4\], expected F32/);
    const extra = copy('extra');
    rewrite(extra, 'tensors.safetensors', (t) => (t.bias = tensor(new Float32Array(4), [4])));
    expect(() => LearnableIndex.load(extra)).toThrow(/tensor "bias" does not belong to a OPQ4,IVF4,PQ4x4 checkpoint/);
    const missing = copy('missing');
    rewrite(missing, 'tensors.safetensors', (t) => delete t['assign.rotation']);
    expect(() => LearnableIndex.load(missing)).toThrow(/tensor "assign\.rotation" is missing/);
  });

  it('the train state: optimiser moments finite and of their parameter\'s length, labels within the index', () => {
    const nan = copy('nan-moment');
    rewrite(nan, 'train-state.safetensors', (t) => (t['opt.codebooks.v'] = withValue(t['opt.codebooks.v'], 2, Number.NaN)));
    expect(() => loadTrainCheckpoint(nan)).toThrow(/nan-moment\/train-state\.safetensors: tensor "opt\.codebooks\.v" holds NaN at \[2\]/);
    const short = copy('short-moment');
    rewrite(short, 'train-state.safetensors', (t) => (t['opt.rotation.R'] = tensor(new Float64Array(10), [10])));
    expect(() => loadTrainCheckpoint(short)).toThrow(/tensor "opt\.rotation\.R" is F64 \[10\], expected F32 or F64 \[256\]/);
    const far = copy('far-doc');
    rewrite(far, 'train-state.safetensors', (t) => {
      const idx = (t['rels.idx'].data as Int32Array).slice();
      idx[0] = 300;
      t['rels.idx'] = tensor(idx, [idx.length]);
    });
    expect(() => loadTrainCheckpoint(far)).toThrow(/tensor "rels\.idx" holds document 300 at \[0\], the index has 300 documents/);
    const stray = copy('stray-state');
    rewrite(stray, 'train-state.safetensors', (t) => (t['opt.head.m'] = tensor(new Float32Array(3), [3])));
    expect(() => loadTrainCheckpoint(stray)).toThrow(/tensor "opt\.head\.m" belongs to no part of the train state/);
  });

  it('tower parameters: a NaN is refused and leaves the tower as it was', () => {
    const dir = copy('tower');
    const table = Float32Array.from({ length: 8 * d }, (_, i) => Math.sin(i));
    writeFileSync(join(dir, 'q.safetensors'), encodeTowerParameters(new EmbeddingBagTower(table, d), 'query'));
    rewrite(dir, 'q.safetensors', (t) => {
      for (const k of Object.keys(t)) t[k] = withValue(t[k], t[k].data.length - 1, Number.NaN);
    });
    const target = new EmbeddingBagTower(new Float32Array(8 * d), d);
    expect(() => loadTowerParameters(dir, readManifest(dir), 'q.safetensors', target, 'query')).toThrow(/q\.safetensors: tensor "\w+" holds NaN at \[127\]/);
    expect(Array.from(target.table).every((x) => x === 0)).toBe(true);
  });
});
