import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Encoder, OnnxEncoder } from '@libvq/encoder';
import { normalizeRows } from '@libvq/index-core/util';
import { LearnableIndexWithEncoder, TransformerTower, type QueryTokens } from '../../src/index.js';
import { loadBertDir } from '../../src/transformer/bert-dir.js';
import { batchOf as batch } from './helpers.js';
import { bertTensorSpecs } from '../../src/transformer/bert-weights.js';

const TORCH = fileURLToPath(new URL('../fixtures/torch-bert', import.meta.url));
const tmp: string[] = [];
afterAll(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

const A = [[2, 31, 57, 60, 3], [2, 70, 44, 3]];
const B = [[2, 12, 13, 14, 15, 16, 3], [2, 9, 3]];
const grad = (rows: number, dim: number, scale = 1) => Float64Array.from({ length: rows * dim }, (_, i) => scale * Math.cos(0.7 * i));

describe('TransformerTower', () => {
  it('top-1 trains the top layer only: everything below is bit-identical after a step', async () => {
    const t = await TransformerTower.fromPretrained(TORCH, { trainLayers: 'top-1', lr: 1e-3 });
    const before = Object.fromEntries(Object.entries(t.model.weights).map(([k, v]) => [k, v.slice()]));
    t.forward(batch(A));
    t.backward(grad(2, t.dim));
    t.step();
    for (const s of bertTensorSpecs(t.model.config)) {
      const moved = t.model.weights[s.name].some((v, i) => v !== before[s.name][i]);
      expect(moved, s.name).toBe(s.layer === 1);
    }
    expect(Object.keys(t.parameters()).every((n) => n.startsWith('encoder.layer.1.'))).toBe(true);
    await expect(TransformerTower.fromPretrained(TORCH, { trainLayers: 'top-3' as 'top-1' })).rejects.toThrow('trainLayers: expected "all", "embeddings-frozen" or "top-K" with K from 1 to the model\'s 2 layers, got "top-3"');
  });

  it('accumulate 2 over two micro-batches = one step over both (averaged gradient)', async () => {
    const acc = await TransformerTower.fromPretrained(TORCH, { lr: 1e-3, accumulate: 2 });
    const one = await TransformerTower.fromPretrained(TORCH, { lr: 1e-3 });
    acc.forward(batch(A));
    acc.backward(grad(2, acc.dim));
    acc.step();
    acc.forward(batch(B));
    acc.backward(grad(2, acc.dim));
    acc.step();
    // One batch of A then B, each row's gradient as above, halved: the same average.
    one.forward(batch([...A, ...B]));
    const g = new Float64Array(4 * one.dim);
    g.set(grad(2, one.dim, 0.5));
    g.set(grad(2, one.dim, 0.5), 2 * one.dim);
    one.backward(g);
    one.step();
    let worst = 0;
    for (const s of bertTensorSpecs(one.model.config)) {
      const a = acc.model.weights[s.name], b = one.model.weights[s.name];
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it('exportState / importState resume: the same bytes as training straight through, pending micro-batches included', async () => {
    const straight = await TransformerTower.fromPretrained(TORCH, { lr: 1e-3, accumulate: 2 });
    const steps = [A, B, A];
    const run = (t: TransformerTower, rows: number[][]) => {
      t.forward(batch(rows));
      t.backward(grad(rows.length, t.dim));
      t.step(0.5);
    };
    for (const s of steps) run(straight, s);
    const first = await TransformerTower.fromPretrained(TORCH, { lr: 1e-3, accumulate: 2 });
    run(first, A);
    const state = first.exportState(); // one micro-batch pending
    expect(state.steps.accumulated).toBe(1);
    const resumed = await TransformerTower.fromPretrained(TORCH, { lr: 1e-3, accumulate: 2 });
    resumed.importState(state);
    run(resumed, B);
    run(resumed, A);
    for (const s of bertTensorSpecs(straight.model.config)) expect(resumed.model.weights[s.name], s.name).toEqual(straight.model.weights[s.name]);
    const top = await TransformerTower.fromPretrained(TORCH, { trainLayers: 'top-1' });
    expect(() => top.importState(state)).toThrow(/state: (array encoder.layer.1.* is missing|has embeddings.*which this tower does not train)/);
  });

  it('trains with the index (LearnableIndexWithEncoder, fix_emb doc), and its saved model directory serves the trained encoder through onnxruntime', async () => {
    const tower = await TransformerTower.fromPretrained(TORCH, { lr: 2e-3 });
    const frozen = await OnnxEncoder.fromPretrained(TORCH);
    const { docs, qRows, qTokens, rel } = await toyRetrieval();
    const lie = LearnableIndexWithEncoder.create({ encoder: new Encoder(frozen, frozen), queryTower: tower, docEmbeddings: docs, indexMethod: 'pq', subvectorNum: 4, subvectorBits: 4, distMode: 'ip', seed: 1 });
    const before = tower.model.weights['encoder.layer.0.attention.self.query.weight'].slice();
    const rep = await lie.fit({ docEmbeddings: docs, queryTokens: qTokens, relData: rel, lossMethod: 'contras', epochs: 3, batchSize: 12, perQueryNegNum: 3, temperature: 0.1, seed: 2 });
    expect(rep.epochLoss.at(-1)!).toBeLessThan(rep.epochLoss[0]);
    expect(tower.model.weights['encoder.layer.0.attention.self.query.weight']).not.toEqual(before);
    const out = join(await mkdtemp(join(tmpdir(), 'libvq-tt-')), 'query-encoder');
    tmp.push(out);
    await tower.save(out);
    const served = await OnnxEncoder.fromPretrained(out);
    const probe = batch(qRows.slice(0, 8));
    const theirs = (await served.embed(probe)).data;
    const ours = (await tower.embed(probe)).data;
    await served.dispose();
    await frozen.dispose();
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
    expect(worst).toBeLessThan(1e-4);
    expect((await loadBertDir(out)).verifiedMaxAbs).toBeLessThan(1e-4);
  });

  it('a per-epoch checkpoint resumes to the same index and weights as training straight through', async () => {
    const frozen = await OnnxEncoder.fromPretrained(TORCH);
    const { docs, qTokens, rel } = await toyRetrieval();
    const opts = { docEmbeddings: docs, queryTokens: qTokens, relData: rel, lossMethod: 'contras' as const, epochs: 3, batchSize: 12, perQueryNegNum: 3, temperature: 0.1, seed: 2 };
    const make = async () => {
      const tower = await TransformerTower.fromPretrained(TORCH, { lr: 2e-3, accumulate: 2 });
      return { tower, lie: LearnableIndexWithEncoder.create({ encoder: new Encoder(frozen, frozen), queryTower: tower, docEmbeddings: docs, indexMethod: 'pq', subvectorNum: 4, subvectorBits: 4, distMode: 'ip', seed: 1 }) };
    };
    const full = await make();
    await full.lie.fit(opts);
    const dir = await mkdtemp(join(tmpdir(), 'libvq-tt-ck-'));
    tmp.push(dir);
    const ac = new AbortController();
    const part = await make();
    await expect(part.lie.fit({ ...opts, checkpointDir: dir, signal: ac.signal, onEpochEnd: (st) => st.epochsDone === 2 && ac.abort() })).rejects.toThrow(/aborted/);
    const fresh = await TransformerTower.fromPretrained(TORCH, { lr: 2e-3, accumulate: 2 });
    const { model, state } = LearnableIndexWithEncoder.resume(dir, { encoder: new Encoder(frozen, frozen), queryTower: fresh });
    expect(state.epochsDone).toBe(2);
    await model.fit({ ...opts, resumeFrom: state });
    for (const [name, w] of Object.entries(full.tower.model.weights)) expect(fresh.model.weights[name], name).toEqual(w);
    expect(Array.from(model.learnable.parts.codebooks!.data)).toEqual(Array.from(full.lie.learnable.parts.codebooks!.data));
    await frozen.dispose();
  });
});

/** 60 token rows as documents (the untrained tower's embeddings) and a query per document sharing two of its tokens. */
async function toyRetrieval() {
  const tower = await TransformerTower.fromPretrained(TORCH, { trainLayers: 'top-1' });
  const rows: number[][] = [];
  const qRows: number[][] = [];
  let s = 17;
  const rnd = (n: number) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % n);
  for (let i = 0; i < 60; i++) {
    const r = [2, ...Array.from({ length: 4 + rnd(5) }, () => 5 + rnd(75)), 3];
    rows.push(r);
    qRows.push([2, r[1 + rnd(r.length - 2)], r[1 + rnd(r.length - 2)], 5 + rnd(75), 3]);
  }
  const offsets = new Int32Array(qRows.length + 1);
  qRows.forEach((r, i) => (offsets[i + 1] = offsets[i] + r.length));
  const qTokens: QueryTokens = { rows: qRows.length, offsets, values: Int32Array.from(qRows.flat()) };
  const docs = await tower.embed(batch(rows));
  normalizeRows(docs);
  const rel = new Map(Array.from({ length: 60 }, (_, i) => [i, [i]] as [number, number[]]));
  return { docs, qRows, qTokens, rel };
}
