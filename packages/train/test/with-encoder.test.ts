import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Encoder } from '@libvq/encoder';
import { normalizeRows } from '@libvq/index-core/util';
import { EmbeddingBagTower, LearnableIndexWithEncoder, type QueryTokens } from '../src/index.js';
import { clustered } from './fixtures.js';

const d = 16;
const V = 80;
const tmp = mkdtempSync(join(tmpdir(), 'libvq-lie-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function setup(seed: number) {
  const { docs } = clustered(seed, 300, 10, d);
  // a word table whose rows are documents' neighbourhoods, so bag-of-words queries land near documents
  const words = clustered(seed + 1, V, 10, d).docs;
  const table = new Float32Array(V * d);
  table.set(words.data.subarray(2 * d), 2 * d);
  let s = seed;
  const rnd = (n: number) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % n);
  const nq = 120;
  const offsets = new Int32Array(nq + 1);
  const values: number[] = [];
  for (let i = 0; i < nq; i++) {
    const len = 2 + rnd(4);
    for (let t = 0; t < len; t++) values.push(2 + rnd(V - 2));
    offsets[i + 1] = values.length;
  }
  const tokens: QueryTokens = { rows: nq, offsets, values: Int32Array.from(values) };
  normalizeRows(docs);
  return { docs, table, tokens };
}

describe('LearnableIndexWithEncoder', () => {
  it('trains the query tower with the index, encodes, saves and reloads identically', async () => {
    const { docs, table, tokens } = setup(5);
    const tower = new EmbeddingBagTower(table, d, { lrEmbeddings: 5e-3, head: true, lrHead: 1e-3 });
    const before = Float32Array.from(table);
    const lie = LearnableIndexWithEncoder.create({ encoder: new Encoder(tower, tower), docEmbeddings: docs, indexMethod: 'opq', subvectorNum: 4, subvectorBits: 4, distMode: 'ip', seed: 1 });
    expect(lie.queryTower).toBe(tower);
    const q0 = await lie.encodeTokens(tokens);
    const rep = await lie.fit({ docEmbeddings: docs, queryTokens: tokens, relData: null, epochs: 3, batchSize: 16, perQueryNegNum: 3, temperature: 0.1, lr: { codebooks: 3e-3, rotation: 1e-3 }, seed: 2 });
    expect(rep.epochLoss.at(-1)!).toBeLessThan(rep.epochLoss[0]);
    expect(table).not.toEqual(before); // the tower's rows moved
    const q1 = await lie.encodeTokens(tokens);
    expect(q1.data).not.toEqual(q0.data);
    expect(lie.learnable.rotationError()).toBeLessThan(1e-4);

    const dir = join(tmp, 'ck');
    lie.save(dir);
    const tower2 = new EmbeddingBagTower(Float32Array.from(before), d, { head: true });
    const back = LearnableIndexWithEncoder.load(dir, { encoder: new Encoder(tower2, tower2), queryTower: tower2 });
    const q2 = await back.encodeTokens(tokens);
    expect(q2.data).toEqual(q1.data);
    expect(back.searchSync(q2, { k: 10 }).labels).toEqual(lie.searchSync(q1, { k: 10 }).labels);
    // the document tower needs one token row per stored document
    await expect(lie.fit({ docEmbeddings: docs, queryTokens: tokens, docTokens: tokens, fixEmb: '' })).rejects.toThrow(/document tokens: 120 rows, the index holds 300/);
  });
});
