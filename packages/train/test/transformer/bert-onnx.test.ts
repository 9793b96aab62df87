import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxEncoder, type TokenBatch } from '@libvq/encoder';
import { readOnnxGraph } from '@libvq/encoder/onnx';
import { BertModel } from '../../src/transformer/bert-model.js';
import { loadBertDir, probeBatch, writeBertDir } from '../../src/transformer/bert-dir.js';
import { bertTensorSpecs } from '../../src/transformer/bert-weights.js';
import { encodeSafetensors } from '../../src/checkpoint/safetensors.js';
import { batchOf, maxAbs } from './helpers.js';

// Forward parity of the TypeScript BERT with onnxruntime (and torch) on two independently produced graphs:
// torch.onnx.export of a Hugging Face-style BertModel (fixture written by scripts/make-torch-bert.py: [in, out]
// MatMul initializers, decomposed LayerNorm, finfo.min mask) and libvq's own bertOnnxGraph (Transposed [out, in]
// weights, LayerNormalization).

const TORCH = fileURLToPath(new URL('../fixtures/torch-bert', import.meta.url));
const tmp: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'libvq-bert-'));
  tmp.push(d);
  return d;
}
afterAll(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

/** Our pooled output and onnxruntime's on the same directory (both poolings), max abs over both. */
async function parity(dir: string, model: BertModel, batch: TokenBatch): Promise<number> {
  let worst = 0;
  for (const pooling of ['cls', 'mean'] as const) {
    const enc = await OnnxEncoder.fromPretrained(dir, { pooling, normalize: false });
    const theirs = (await enc.embed(batch)).data;
    await enc.dispose();
    const ours = new BertModel({ ...model.config, pooling, normalize: false }, model.weights, new Set()).embed64(batch);
    worst = Math.max(worst, maxAbs(ours, theirs));
  }
  return worst;
}

const RANDOM_BATCH = batchOf([
  [2, 31, 57, 60, 12, 44, 70, 3],
  [2, 70, 3],
  [2, 9, 9, 9, 61, 3],
]);

describe('torch.onnx.export of a Hugging Face-style BertModel (2 layers, 4 heads, random weights)', () => {
  it('is recognised, verified at load, and equals onnxruntime and torch within 1e-4', async () => {
    const src = await loadBertDir(TORCH);
    expect(src.config).toMatchObject({ hidden: 32, layers: 2, heads: 4, intermediate: 48, vocabSize: 80, maxPositions: 40, typeVocabSize: 2, pooling: 'mean', normalize: true });
    expect(src.verifiedMaxAbs).toBeLessThan(1e-4);
    // Weights read from the ONNX graph equal the state_dict in model.safetensors, tensor by tensor.
    const st = await cp(TORCH, await tempDir(), { recursive: true }).then(() => tmp[tmp.length - 1]);
    await rm(join(st, 'model.onnx'));
    const fromSt = await loadBertDir(st);
    for (const s of bertTensorSpecs(src.config)) expect(maxAbs(src.weights[s.name], fromSt.weights[s.name]), s.name).toBe(0);
    const model = new BertModel(src.config, src.weights, new Set());
    expect(await parity(TORCH, model, RANDOM_BATCH)).toBeLessThan(1e-4);
    // torch's own last_hidden_state (padded positions included) for its probe batch.
    const ref = JSON.parse(await readFile(join(TORCH, 'torch-output.json'), 'utf8')) as { input_ids: number[][]; attention_mask: number[][]; last_hidden_state: number[] };
    const L = ref.input_ids[0].length;
    const tb: TokenBatch = { batchSize: ref.input_ids.length, seqLength: L, inputIds: Int32Array.from(ref.input_ids.flat()), attentionMask: Uint8Array.from(ref.attention_mask.flat()) };
    expect(maxAbs(model.hidden(tb), ref.last_hidden_state)).toBeLessThan(1e-4);
  });

  it('a config.json that disagrees with the graph is refused at load by the onnxruntime comparison', async () => {
    const dir = await tempDir();
    await cp(TORCH, dir, { recursive: true });
    const cfg = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...cfg, num_attention_heads: 2 }));
    await expect(loadBertDir(dir)).rejects.toThrow(/onnxruntime's output differs from the TypeScript BERT forward by .* \(max abs, probe batch\)/);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...cfg, hidden_size: 64 }));
    await expect(loadBertDir(dir)).rejects.toThrow('config.json hidden_size = 64, the graph has 32');
  });
});

describe('export: the trained weights written back as a model directory', () => {
  it('the torch graph with new initializers (nothing else changed) serves the new weights through onnxruntime; safetensors read back the same', async () => {
    const src = await loadBertDir(TORCH);
    const moved: Record<string, Float32Array> = {};
    let k = 0;
    for (const s of bertTensorSpecs(src.config)) moved[s.name] = Float32Array.from(src.weights[s.name], (v) => v + 0.05 * Math.sin(k++));
    const out = join(await tempDir(), 'trained');
    await writeBertDir(out, src, moved);
    const after = await loadBertDir(out);
    expect(after.verifiedMaxAbs).toBeLessThan(1e-4);
    for (const s of bertTensorSpecs(src.config)) expect(maxAbs(after.weights[s.name], moved[s.name]), s.name).toBe(0);
    const model = new BertModel(src.config, moved, new Set());
    expect(await parity(out, model, RANDOM_BATCH)).toBeLessThan(1e-4);
    // Same graph: the same nodes, inputs, outputs and initializer names and shapes.
    const g0 = readOnnxGraph(new Uint8Array(await readFile(join(TORCH, 'model.onnx'))), 'src');
    const g1 = readOnnxGraph(new Uint8Array(await readFile(join(out, 'model.onnx'))), 'out');
    expect(g1.nodes.map((n) => [n.op, n.inputs, n.outputs])).toEqual(g0.nodes.map((n) => [n.op, n.inputs, n.outputs]));
    expect([...g1.initializers.values()].map((t) => [t.name, t.dims])).toEqual([...g0.initializers.values()].map((t) => [t.name, t.dims]));
    const stOnly = await tempDir();
    for (const f of ['model.safetensors', 'config.json', 'tokenizer.json']) await cp(join(out, f), join(stOnly, f));
    const st = await loadBertDir(stOnly);
    for (const s of bertTensorSpecs(src.config)) expect(maxAbs(st.weights[s.name], moved[s.name]), s.name).toBe(0);
    // Python reads the tensors (numpy on the safetensors layout: 8-byte header length, JSON header, raw data).
    const py = [
      'import json, struct, sys, numpy as np',
      'b = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n])',
      'for k, v in sorted(h.items()):',
      '    if k == "__metadata__": continue',
      '    a = np.frombuffer(b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], dtype=np.float32).reshape(v["shape"])',
      '    print(k, list(a.shape), repr(float(a.astype(np.float64).sum())))',
    ].join('\n');
    const { execFileSync } = await import('node:child_process');
    const lines = execFileSync('/usr/bin/python3', ['-c', py, join(out, 'model.safetensors')], { encoding: 'utf8' }).trim().split('\n');
    expect(lines.length).toBe(bertTensorSpecs(src.config).length);
    for (const line of lines) {
      const [name, , sum] = line.split(/ (?=\[)|\] /);
      const spec = bertTensorSpecs(src.config).find((s) => s.name === name)!;
      expect(line.startsWith(`${name} [${spec.shape.join(', ')}]`), line).toBe(true);
      const ours = moved[name].reduce((a, v) => a + v, 0);
      expect(Math.abs(Number(sum) - ours), name).toBeLessThan(1e-3);
    }
  });

  it('a safetensors-only model gets libvq\'s own graph, which onnxruntime runs equal to the TypeScript forward', async () => {
    const stOnly = await tempDir();
    for (const f of ['model.safetensors', 'config.json', 'tokenizer.json']) await cp(join(TORCH, f), join(stOnly, f));
    const src = await loadBertDir(stOnly);
    expect(src.onnx).toBeNull();
    const out = join(await tempDir(), 'exported');
    await writeBertDir(out, src, src.weights);
    const back = await loadBertDir(out);
    expect(back.verifiedMaxAbs).toBeLessThan(1e-4);
    for (const s of bertTensorSpecs(src.config)) expect(maxAbs(back.weights[s.name], src.weights[s.name]), s.name).toBe(0);
    expect(await parity(out, new BertModel(src.config, src.weights, new Set()), RANDOM_BATCH)).toBeLessThan(1e-4);
    expect(probeBatch(src.config).seqLength).toBe(9);
  });

  it('reads a BertFor* checkpoint (names prefixed "bert.", extra heads ignored) and names a missing tensor', async () => {
    const src = await loadBertDir(TORCH, { verify: false });
    const dir = await tempDir();
    await cp(join(TORCH, 'config.json'), join(dir, 'config.json'));
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = { 'cls.predictions.bias': { shape: [80], data: new Float32Array(80) } };
    for (const s of bertTensorSpecs(src.config)) tensors[`bert.${s.name}`] = { shape: [...s.shape], data: Float32Array.from(src.weights[s.name]) };
    await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
    const back = await loadBertDir(dir);
    for (const s of bertTensorSpecs(src.config)) expect(maxAbs(back.weights[s.name], src.weights[s.name]), s.name).toBe(0);
    delete tensors['bert.encoder.layer.1.output.dense.bias'];
    await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
    await expect(loadBertDir(dir)).rejects.toThrow('model.safetensors: tensor "encoder.layer.1.output.dense.bias" is missing');
  });
});

describe('graphs that are not a trainable BERT are refused by name', () => {
  it('a bag-of-words graph (no positions, no layers)', async () => {
    const { GraphBuilder, writeOnnxModel } = await import('@libvq/encoder/onnx');
    const b = new GraphBuilder();
    const ids = b.input('input_ids', 'int64', ['batch', 'sequence']);
    b.input('attention_mask', 'int64', ['batch', 'sequence']);
    const table = b.init('float32', [80, 8], new Float32Array(640).fill(0.5), 'emb');
    b.output(b.op('Gather', [table, ids]), 'last_hidden_state', 'float32', ['batch', 'sequence', 8]);
    const dir = await tempDir();
    await writeOnnxModel(join(dir, 'model.onnx'), b.build('bow'));
    await cp(join(TORCH, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    await expect(loadBertDir(dir)).rejects.toThrow('model.onnx: not a BERT graph this library can train: expected one position-embedding Gather besides the word tables, found 0');
  });
  it('a config.json of another model type', async () => {
    const dir = await tempDir();
    await cp(TORCH, dir, { recursive: true });
    const cfg = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...cfg, model_type: 'roberta' }));
    await expect(loadBertDir(dir)).rejects.toThrow('model_type "roberta" is not a BERT-family encoder this library can train');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...cfg, hidden_act: 'gelu_new' }));
    await expect(loadBertDir(dir)).rejects.toThrow('hidden_act "gelu_new": only the exact (erf) GELU is implemented');
  });
});
