import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeTexts, loadTokenizer } from '@libvq/encoder';
import type { Matrix } from '@libvq/index-core';
import { loadGloveVectors } from '../src/vectors/load-vectors.js';
import { GLOVE100_MODEL_NAME, ensureGlove100Model, loadGlove100Encoder, type GloveWordVectors } from '../src/index.js';
import { glove100Vocabulary } from '../src/model/glove100-table.js';

/** The oracle: mean of the vectors of the known words (runs of [a-z0-9] after lower-casing), L2-normalised, in float64. */
function direct(text: string, index: Map<string, number>, vectors: Matrix): Float64Array {
  const d = vectors.dim;
  const out = new Float64Array(d);
  let count = 0;
  for (const w of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    const r = index.get(w);
    if (r === undefined) continue;
    count++;
    for (let j = 0; j < d; j++) out[j] += vectors.data[r * d + j];
  }
  if (count === 0) return out;
  let norm = 0;
  for (let j = 0; j < d; j++) norm += (out[j] / count) ** 2;
  norm = Math.sqrt(norm);
  for (let j = 0; j < d; j++) out[j] = out[j] / count / norm;
  return out;
}

function wordIndex(words: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  words.forEach((w, i) => {
    if (!m.has(w)) m.set(w, i);
  });
  return m;
}

function maxAbsDiff(got: Float32Array, want: Float64Array): number {
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
  return m;
}

const tmpDirs: string[] = [];
afterAll(async () => {
  for (const d of tmpDirs) await rm(d, { recursive: true, force: true });
});

describe('glove-100 generation on a small vocabulary', () => {
  const fake: GloveWordVectors = {
    words: ['the', 'wing', 'u.s.', 'flow', '2', "it's"],
    vectors: { rows: 6, dim: 3, data: Float32Array.from([1, 0, 0, 0, 2, 0, 9, 9, 9, 0, 0, 3, 1, 1, 1, 5, 5, 5]) },
  };

  /** An empty cache directory and a vector source that counts how often it is asked. */
  async function freshCache() {
    const cacheDir = await mkdtemp(join(tmpdir(), 'libvq-glove-'));
    tmpDirs.push(cacheDir);
    const counter = { n: 0 };
    const loadVectors = async () => {
      counter.n++;
      return fake;
    };
    return { cacheDir, loadVectors, loads: () => counter.n };
  }

  it('writes a WordLevel tokenizer of the [a-z0-9]+ words, a config and a graph that run through OnnxEncoder', async () => {
    const { cacheDir, loadVectors, loads } = await freshCache();
    const dir = await ensureGlove100Model({ cacheDir, loadVectors });
    expect(dir).toBe(join(cacheDir, GLOVE100_MODEL_NAME));
    const tok = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
    // Words that the tokenizer can never produce ("u.s.", "it's") are left out of the vocabulary.
    expect(tok.model.vocab).toEqual({ '[PAD]': 0, '[UNK]': 1, the: 2, wing: 3, flow: 4, '2': 5 });
    const tokenizer = await loadTokenizer(dir);
    expect(Array.from(tokenizer.encode("The U.S. wing-flow, it's 2!"))).toEqual([2, 1, 1, 3, 4, 1, 1, 5]);

    const enc = await loadGlove100Encoder({ cacheDir, loadVectors });
    expect(loads()).toBe(1); // the second call found the cached model
    expect(enc.dim).toBe(3);
    expect(enc.normalized()).toBe(true);
    const texts = ['the wing', 'FLOW flow the', '', 'u.s. unknown', 'wing 2 2'];
    const got = await encodeTexts({ encoder: enc, tokenizer, texts, batchSize: 2 });
    const index = wordIndex(fake.words);
    texts.forEach((t, i) => expect(maxAbsDiff(got.data.subarray(i * 3, i * 3 + 3), direct(t, index, fake.vectors))).toBeLessThan(1e-6));
    // Hand-computed: mean of [1,0,0] and [0,2,0] is [.5,1,0] -> /sqrt(1.25); no known word -> exactly zero.
    expect(got.data[0]).toBeCloseTo(0.5 / Math.sqrt(1.25), 6);
    expect(Array.from(got.data.subarray(6, 12))).toEqual([0, 0, 0, 0, 0, 0]);
    await enc.dispose();
  });

  it("the table a trainable tower starts from is the model's: row i the vector of token id i, [PAD] and [UNK] zero", () => {
    const { words, table } = glove100Vocabulary(fake);
    expect(words).toEqual(['the', 'wing', 'flow', '2']); // ids 2..5, as in the tokenizer above
    expect(table.rows).toBe(6);
    expect(table.dim).toBe(3);
    expect(Array.from(table.data)).toEqual([0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 1, 1]);
  });

  it('regenerates a cache of another format version', async () => {
    const { cacheDir, loadVectors, loads } = await freshCache();
    const dir = await ensureGlove100Model({ cacheDir, loadVectors });
    const configPath = join(dir, 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as { libvq: { format_version: number } };
    config.libvq.format_version = 0;
    await writeFile(configPath, JSON.stringify(config));
    await ensureGlove100Model({ cacheDir, loadVectors });
    expect(loads()).toBe(2);
    expect((JSON.parse(await readFile(configPath, 'utf8')) as { libvq: { format_version: number } }).libvq.format_version).toBe(1);
  });

  it('removes the temporary directory of a killed generation and keeps a live one', async () => {
    const { cacheDir, loadVectors } = await freshCache();
    const dir = join(cacheDir, GLOVE100_MODEL_NAME);
    const child = spawnSync(process.execPath, ['-e', '']); // exited and reaped: its pid is no process's
    expect(child.status).toBe(0);
    const stale = `${dir}.tmp-${child.pid}-5ea1ed`;
    const live = `${dir}.tmp-${process.pid}-a11ce`;
    const anHourAgo = Date.now() / 1000 - 3600;
    for (const t of [stale, live]) {
      await mkdir(t);
      await writeFile(join(t, 'model.onnx'), 'half a model');
      await utimes(t, anHourAgo, anHourAgo);
    }
    await ensureGlove100Model({ cacheDir, loadVectors });
    expect((await readdir(cacheDir)).sort()).toEqual([GLOVE100_MODEL_NAME, `${GLOVE100_MODEL_NAME}.tmp-${process.pid}-a11ce`]);
  });

  it('refuses word and vector counts that disagree', async () => {
    const { cacheDir } = await freshCache();
    await expect(ensureGlove100Model({ cacheDir, loadVectors: async () => ({ words: ['a'], vectors: fake.vectors }) })).rejects.toThrow(/1 words but 6 vectors/);
  });
});

describe('glove-100 on the real GloVe vectors', () => {
  it('matches a direct TypeScript computation from the vectors to 1e-5', async () => {
    const { words, vectors } = await loadGloveVectors();
    expect(vectors.dim).toBe(100);
    const enc = await loadGlove100Encoder();
    const texts = [
      'The wing of the aircraft.',
      'Supersonic FLOW over a flat-plate; heat-transfer (laminar) at Mach 2.5!!',
      'zzqxv blorptastic AERODYNAMICS of slender bodies',
      '',
      'zzqxv qqqwx ### ...',
      'naïve café résumé',
      'experimental investigation of the aerodynamics of a wing in a slipstream . an experimental study of a wing in a propeller slipstream was made in order to determine the spanwise distribution of the lift increase due to slipstream at different angles of attack of the wing',
    ];
    const got = await encodeTexts({ encoder: enc, tokenizer: enc.tokenizer!, texts, batchSize: 3, maxLength: 4096 });
    const index = wordIndex(words);
    texts.forEach((t, i) => {
      const want = direct(t, index, vectors);
      expect(maxAbsDiff(got.data.subarray(i * 100, (i + 1) * 100), want)).toBeLessThan(1e-5);
    });
    // Texts without a known word give exact zero vectors (never NaN); the others have unit norm.
    for (const i of [3, 4]) expect(got.data.subarray(i * 100, (i + 1) * 100).every((v) => v === 0)).toBe(true);
    expect(Math.hypot(...got.data.subarray(0, 100))).toBeCloseTo(1, 5);
    await enc.dispose();
  });
});
