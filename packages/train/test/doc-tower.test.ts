import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Encoder, type Tower } from '@libvq/encoder';
import { serializeIndex, type Matrix } from '@libvq/index-core';
import {
  EmbeddingBagTower, HeadTower, LearnableIndexWithEncoder, tokenRowsOf, type QueryTokens, type RelData, type TrainableTower, type WithEncoderFitOptions,
} from '../src/index.js';
import { readAssignments } from '../src/fit.js';
import { tokenBatchOf } from '../src/tower/index.js';

const d = 16;
const V = 122; // rows 0 [PAD], 1 [UNK], then 6 topics of 20 words
const nDocs = 300;
const nQueries = 150;
const nTrain = 120;
const tmp = mkdtempSync(join(tmpdir(), 'libvq-doc-tower-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * A tiny collection with known relevance: words cluster by topic, a document draws its words mostly from its
 * topic, and query q takes 3-4 words of one document, which is its only relevant document.
 */
function collection(seed: number) {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const g = () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
  const centres = Array.from({ length: 6 }, () => Float32Array.from({ length: d }, g));
  const table = new Float32Array(V * d);
  for (let w = 2; w < V; w++) for (let j = 0; j < d; j++) table[w * d + j] = centres[(w - 2) % 6][j] + 0.9 * g();
  const docSeqs: Int32Array[] = [];
  for (let i = 0; i < nDocs; i++) {
    const t = i % 6;
    const len = 10 + Math.floor(u() * 7);
    docSeqs.push(Int32Array.from({ length: len }, () => (u() < 0.75 ? 2 + t + 6 * Math.floor(u() * 20) : 2 + Math.floor(u() * (V - 2)))));
  }
  const qSeqs: Int32Array[] = [];
  const label: number[] = [];
  for (let q = 0; q < nQueries; q++) {
    const doc = Math.floor(u() * nDocs);
    const src = docSeqs[doc];
    qSeqs.push(Int32Array.from({ length: 3 + Math.floor(u() * 2) }, () => src[Math.floor(u() * src.length)]));
    label.push(doc);
  }
  return { table, docTokens: tokenRowsOf(docSeqs), queryTokens: tokenRowsOf(qSeqs), label };
}

const data = collection(11);
const trainTokens: QueryTokens = rowsOf(data.queryTokens, 0, nTrain);
const devTokens: QueryTokens = rowsOf(data.queryTokens, nTrain, nQueries);
const trainRels: RelData = new Map(data.label.slice(0, nTrain).map((doc, q) => [q, [doc]]));

function rowsOf(t: QueryTokens, a: number, b: number): QueryTokens {
  const seqs: Int32Array[] = [];
  for (let r = a; r < b; r++) seqs.push(t.values.subarray(t.offsets[r], t.offsets[r + 1]));
  return tokenRowsOf(seqs);
}

const bag = (opts: { head?: boolean } = {}) => new EmbeddingBagTower(Float32Array.from(data.table), d, { lrEmbeddings: 5e-3, head: opts.head, lrHead: 2e-3 });
/** The teacher: every document and training query embedded by the untrained towers. */
const allRows = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
const teacher = await (async () => {
  const t = bag();
  const embed = (tok: QueryTokens, maxLen: number): Promise<Matrix> => t.embed(tokenBatchOf(tok, allRows(tok.rows), maxLen));
  return { docs: await embed(data.docTokens, 256), queries: await embed(trainTokens, 32) };
})();

function model(queryTower: TrainableTower, docTower: TrainableTower, method: 'opq' | 'ivf_pq' = 'opq'): LearnableIndexWithEncoder {
  return LearnableIndexWithEncoder.create({
    encoder: new Encoder(queryTower, docTower), queryTower, docTower, docEmbeddings: teacher.docs,
    indexMethod: method, ivfCentersNum: 4, subvectorNum: 4, subvectorBits: 4, distMode: 'ip', seed: 1,
  });
}

const fitBase: WithEncoderFitOptions = {
  docEmbeddings: teacher.docs, queryEmbeddings: teacher.queries, queryTokens: trainTokens, docTokens: data.docTokens,
  relData: null, epochs: 3, batchSize: 16, perQueryNegNum: 3, temperature: 0.2, lr: { codebooks: 3e-3, rotation: 1e-3 }, seed: 5,
};

/** MRR@10 of the single relevant document of each dev query (a plain loop over the returned labels). */
function mrr10(labels: Float64Array, k: number, rel: number[]): number {
  let s = 0;
  for (let q = 0; q < rel.length; q++) {
    for (let r = 0; r < Math.min(10, k); r++) {
      if (labels[q * k + r] === rel[q]) {
        s += 1 / (r + 1);
        break;
      }
    }
  }
  return s / rel.length;
}

describe("document tower (fixEmb 'query' and '')", () => {
  it("'' trains both towers; every document is re-encoded by the trained doc tower and the index is rebuilt from those", async () => {
    const qt = bag();
    const dt = bag();
    const lie = model(qt, dt);
    const rep = await lie.fit({ ...fitBase, fixEmb: '' });
    expect(rep.epochLoss.at(-1)!).toBeLessThan(rep.epochLoss[0]);
    expect(qt.table).not.toEqual(data.table);
    expect(dt.table).not.toEqual(data.table);
    const newDocs = rep.docEmbeddings!;
    expect(newDocs).toBe(lie.docEmbeddings);
    expect(newDocs.data).toEqual((await lie.encodeDocTokens(data.docTokens)).data); // the trained tower's embeddings
    expect(newDocs.data).not.toEqual(teacher.docs.data);
    // the write-back: each document's codes are its nearest learned codewords of the NEW embedding (LibVQ)
    const parts = lie.learnable.parts;
    expect(readAssignments(parts).codes).toEqual(parts.index.encode(newDocs).codes);
    expect(parts.index.encode(teacher.docs).codes).not.toEqual(readAssignments(parts).codes);
  });

  it("'query' trains the document tower only; the stored query embeddings are used", async () => {
    const qt = bag();
    const dt = bag();
    const lie = model(qt, dt);
    const rep = await lie.fit({ ...fitBase, fixEmb: 'query', queryTokens: undefined });
    expect(qt.table).toEqual(data.table);
    expect(dt.table).not.toEqual(data.table);
    expect(rep.docEmbeddings).not.toBeNull();
    await expect(lie.fit({ ...fitBase, fixEmb: 'query', queryEmbeddings: undefined })).rejects.toThrow(/queryEmbeddings.*fixEmb 'query' keeps them/);
  });

  it("what reaches the document tower: fixed codes -> only the dense score; 'nearest' -> the PQ straight-through gradient too", async () => {
    // contras on the judgments: under distill with the query side fixed and no rotation the untrained doc tower
    // reproduces the teacher exactly, so the dense distill gradient is exactly zero (p = t) and proves nothing
    const run = async (codeAssignment: 'fixed' | 'nearest', dense: number) => {
      const dt = bag();
      await model(bag(), dt, 'ivf_pq').fit({ ...fitBase, fixEmb: 'query', lossMethod: 'contras', relData: trainRels, codeAssignment, lossWeights: { dense }, epochs: 1 });
      return dt.table;
    };
    expect(await run('fixed', 0)).toEqual(data.table); // lists and codes fixed: the index scores do not depend on the document
    expect(await run('fixed', 1)).not.toEqual(data.table);
    expect(await run('nearest', 0)).not.toEqual(data.table);
  });

  it('refuses one tower for both sides, shared parameters, keep write-back, and missing or misaligned document tokens', async () => {
    const t = bag();
    await expect(model(t, t).fit({ ...fitBase, fixEmb: '' })).rejects.toThrow(/docTower: expected a tower other than the query tower/);
    const shared = new EmbeddingBagTower(t.table, d);
    await expect(model(t, shared).fit({ ...fitBase, fixEmb: '' })).rejects.toThrow(/its embedding shares memory/);
    await expect(model(bag(), bag()).fit({ ...fitBase, fixEmb: '', writeBack: 'keep' })).rejects.toThrow(/writeBack: expected 'reencode' when the document tower trains/);
    await expect(model(bag(), bag()).fit({ ...fitBase, fixEmb: '', docTokens: undefined })).rejects.toThrow(/docDataDir \/ docTokens/);
    await expect(model(bag(), bag()).fit({ ...fitBase, fixEmb: 'query', docTokens: trainTokens })).rejects.toThrow(/document tokens: 120 rows, the index holds 300/);
  });

  it('save / load: doc-tower.safetensors restores the trained document tower', async () => {
    const lie = model(bag({ head: true }), bag());
    await lie.fit({ ...fitBase, fixEmb: '', epochs: 1 });
    const dir = join(tmp, 'saved');
    lie.save(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.files)).toContain('doc-tower.safetensors');
    expect(manifest.extra.docTower).toBe('embedding-bag'); // describe(): the tower's name (EmbeddingBagTowerOptions.name)
    const qt = bag({ head: true });
    const dt = bag();
    const back = LearnableIndexWithEncoder.load(dir, { encoder: new Encoder(qt, dt), queryTower: qt, docTower: dt });
    expect(dt.table).toEqual(lie.docTower.parameters().embedding);
    expect((await back.encodeDocTokens(data.docTokens)).data).toEqual(lie.docEmbeddings!.data);
    const q = await back.encodeTokens(devTokens);
    expect(back.searchSync(q, { k: 10 }).labels).toEqual(lie.searchSync(await lie.encodeTokens(devTokens), { k: 10 }).labels);
    // a model whose document tower never trained stores none
    const plain = model(bag(), bag());
    await plain.fit({ ...fitBase, fixEmb: 'doc', epochs: 1 });
    plain.save(join(tmp, 'plain'));
    expect(existsSync(join(tmp, 'plain', 'doc-tower.safetensors'))).toBe(false);
  });
});

describe('per-epoch checkpoints with trainable towers', () => {
  /** A frozen tower (the ONNX case) under a HeadTower: covers the head's state as EmbeddingBagTower covers the sparse table's. */
  const frozenDocTower = (): HeadTower => {
    const base = bag();
    const frozen: Tower = { dim: d, embed: (b) => base.embed(b), normalized: () => true };
    return new HeadTower(frozen, { lr: 3e-3 });
  };
  const towers = () => ({ q: bag({ head: true }), d: frozenDocTower() });

  it("a fixEmb '' run interrupted after epoch 2 and resumed to 4 ends byte-identical to an uninterrupted 4-epoch run", async () => {
    const opts: WithEncoderFitOptions = { ...fitBase, fixEmb: '', codeAssignment: 'nearest', epochs: 4 };
    const a = towers();
    const full = model(a.q, a.d);
    const repFull = await full.fit(opts);

    const b = towers();
    const dir = join(tmp, 'run');
    const ac = new AbortController();
    await expect(
      model(b.q, b.d).fit({ ...opts, checkpointDir: dir, signal: ac.signal, onEpochEnd: (st) => st.epochsDone === 2 && ac.abort() }),
    ).rejects.toThrow(/aborted/);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.extra.fixEmb).toBe('');
    expect(Object.keys(manifest.extra.train.towerSteps).sort()).toEqual(['doc', 'query']);

    const c = towers(); // fresh towers, built as for the interrupted run
    const { model: resumed, state } = LearnableIndexWithEncoder.resume(dir, { encoder: new Encoder(c.q, c.d), queryTower: c.q, docTower: c.d });
    expect(state.epochsDone).toBe(2);
    const repRest = await resumed.fit({ ...opts, resumeFrom: state });
    expect(repRest.epochLoss).toEqual(repFull.epochLoss.slice(2));
    expect(serializeIndex(resumed.learnable.index)).toEqual(serializeIndex(full.learnable.index));
    expect(c.q.table).toEqual(a.q.table);
    expect(c.q.head!.W).toEqual(a.q.head!.W);
    expect(c.d.head.W).toEqual(a.d.head.W);
    expect(resumed.docEmbeddings!.data).toEqual(full.docEmbeddings!.data);
    // the towers' optimiser moments came back too: one more identical step on both keeps them equal
    const probe = rowsOf(trainTokens, 0, 8);
    for (const t of [a.q, c.q]) {
      const out = t.forward(tokenBatchOf(probe, allRows(8), 32));
      t.backward(Float64Array.from(out.data, (x, i) => x - (i % 3)));
      t.step(1);
    }
    expect(c.q.table).toEqual(a.q.table);
    expect(c.q.head!.W).toEqual(a.q.head!.W);

    // resuming with a different fixEmb is refused
    const e = towers();
    const again = LearnableIndexWithEncoder.resume(dir, { encoder: new Encoder(e.q, e.d), queryTower: e.q, docTower: e.d });
    await expect(again.model.fit({ ...opts, fixEmb: 'doc', resumeFrom: again.state })).rejects.toThrow(/resumeFrom: expected a state without a doc tower/);
  });

  it('a tower that cannot export its state is refused for per-epoch checkpoints', async () => {
    const t = bag();
    const noState: TrainableTower = { dim: d, forward: (b) => t.forward(b), backward: (g) => t.backward(g), step: (f) => t.step(f), parameters: () => t.parameters(), embed: (b) => t.embed(b) };
    await expect(model(noState, bag()).fit({ ...fitBase, checkpointDir: join(tmp, 'x') })).rejects.toThrow(/checkpointDir: expected a query tower with exportState/);
  });
});

describe('labelled training (relData) through LearnableIndexWithEncoder', () => {
  const dev = data.label.slice(nTrain);
  for (const lossMethod of ['contras', 'distill'] as const) {
    for (const fixEmb of ['doc', ''] as const) {
      it(`${lossMethod}, fixEmb '${fixEmb}': training on the judgments raises dev MRR@10 above the untrained index`, async () => {
        const lie = model(bag(), bag());
        const before = mrr10(lie.searchSync(await lie.encodeTokens(devTokens), { k: 10 }).labels, 10, dev);
        const rep = await lie.fit({ ...fitBase, fixEmb, relData: trainRels, lossMethod, epochs: 4, temperature: lossMethod === 'contras' ? 0.1 : 0.2 });
        expect(rep.epochLoss.at(-1)!).toBeLessThan(rep.epochLoss[0]);
        const after = mrr10(lie.searchSync(await lie.encodeTokens(devTokens), { k: 10 }).labels, 10, dev);
        expect(after).toBeGreaterThan(before);
      });
    }
  }
  it('names a bad judgment', async () => {
    await expect(model(bag(), bag()).fit({ ...fitBase, relData: new Map([[3, [nDocs]]]) })).rejects.toThrow(/relData: query 3, document row/);
  });
});
