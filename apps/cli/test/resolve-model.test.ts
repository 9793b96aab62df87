import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeTexts, padBatch } from '@libvq/encoder';
import { wordLevelTokenizerJson } from '@libvq/encoder/onnx';
import { DEFAULT_MODEL, modelNames, registerModel, resolveModel, type ResolvedModel } from '../src/models/resolve-model.js';

const root = mkdtempSync(join(tmpdir(), 'libvq-cli-models-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('resolveModel', () => {
  const dir = join(root, 'model');
  mkdirSync(dir);
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(wordLevelTokenizerJson({ words: ['wing', 'flow'] })));
  writeFileSync(join(root, 'notes.txt'), 'not a model');

  it('a model directory, or its tokenizer.json, gives the directory\'s tokenizer; it has no towers of its own', async () => {
    for (const arg of [dir, join(dir, 'tokenizer.json')]) {
      const m = await resolveModel(arg);
      expect(m.name).toBe(arg);
      expect(Array.from((await m.tokenizer()).encode('flow wing')).slice(-2)).toEqual([3, 2]);
      expect(m.towers).toBeUndefined(); // libvq train then trains a linear head over the frozen ONNX towers
    }
  });

  it('refuses a missing path and a file that is no tokenizer.json, naming the option and the known models', async () => {
    await expect(resolveModel(join(root, 'missing'), { what: '--tokenizer' })).rejects.toThrow(
      new RegExp(`^--tokenizer: .*missing is neither ${modelNames().map((n) => `"${n}"`).join(', ')} nor an existing model directory or tokenizer\\.json$`),
    );
    await expect(resolveModel(join(root, 'notes.txt'))).rejects.toThrow(/^--model: .*notes\.txt is a file but not a tokenizer\.json/);
  });

  it('registerModel adds a name every command accepts (resolved before any path)', async () => {
    const made: ResolvedModel = { name: 'tiny', tokenizer: () => Promise.reject(new Error('unused')), encoder: () => Promise.reject(new Error('unused')) };
    const seen: (string | undefined)[] = [];
    registerModel('tiny', (ctx) => (seen.push(ctx.cacheDir), made));
    expect(modelNames()).toEqual([DEFAULT_MODEL, 'tiny']);
    expect(await resolveModel('tiny', { cacheDir: '/some/cache' })).toBe(made);
    expect(seen).toEqual(['/some/cache']);
  });

  it(`${DEFAULT_MODEL} refuses --pooling / --normalize (it pools itself)`, async () => {
    const m = await resolveModel(DEFAULT_MODEL);
    await expect(m.encoder({ pooling: 'mean' })).rejects.toThrow(/--pooling\/--normalize: the glove-100 model has its own pooling/);
  });

  // Moved from @libvq/train's tower tests when the tower stopped knowing GloVe: the CLI builds it over the model's table.
  it(`${DEFAULT_MODEL}'s trainable towers reproduce its ONNX embedding, each over weights of its own`, async () => {
    const m = await resolveModel(DEFAULT_MODEL);
    const enc = await m.encoder();
    try {
      const makeTower = await m.towers!();
      const tower = makeTower();
      const copy = makeTower({ lrEmbeddings: 0 });
      expect(tower.describe?.()).toBe('glove-100-trainable'); // what checkpoints record
      const [a, b] = [tower, copy].map((t) => t.parameters().embedding);
      expect(a.buffer).not.toBe(b.buffer);
      expect(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(Buffer.from(a.buffer, a.byteOffset, a.byteLength))).toBe(true);
      const texts = ['what similarity laws must be obeyed when constructing aeroelastic models', 'the boundary layer in simple shear flow past a flat plate', 'zzqxq unknownword', ''];
      const tok = await m.tokenizer();
      const onnx = await encodeTexts({ encoder: enc, tokenizer: tok, texts, isQuery: true, maxLength: 64 });
      const ours = await tower.embed(padBatch(texts.map((s) => tok.encode(s, 64)), tok.padId));
      expect(ours.rows).toBe(onnx.rows);
      for (let i = 0; i < onnx.data.length; i++) expect(ours.data[i]).toBeCloseTo(onnx.data[i], 5);
      expect(Math.hypot(...ours.data.subarray(0, 100))).toBeCloseTo(1, 5);
    } finally {
      await enc.dispose();
    }
  }, 60_000);
});
