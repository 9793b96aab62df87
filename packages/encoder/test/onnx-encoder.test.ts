import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LibvqError } from '@libvq/index-core';
import { Encoder, OnnxEncoder, loadTokenizer, padBatch } from '../src/index.js';
import { GraphBuilder, wordLevelTokenizerJson, type OnnxDataType } from '../src/onnx.js';
import { writeModelDir } from './helpers/model-dir.js';

const WORDS = ['wing', 'flow', 'mach', '2'];
const tokJson = wordLevelTokenizerJson({ words: WORDS });
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/**
 * A model whose token states are known by hand: state(t) = [id_t, 2*id_t + pos_t] (position from
 * position_ids when the model has that input, else 0), so mean/cls pooling can be checked exactly.
 */
async function handModel(opts: { inputs?: Array<[string, OnnxDataType]>; outputs?: Array<[string, 2 | 3]>; config?: Record<string, unknown> | null } = {}): Promise<string> {
  const b = new GraphBuilder();
  const inputs = opts.inputs ?? [['input_ids', 'int64'], ['attention_mask', 'int64']];
  for (const [name, type] of inputs) b.input(name, type, ['batch', 'seq']);
  const ids = b.op('Cast', ['input_ids'], { to: { i: 1 } });
  const hasPos = inputs.some(([n]) => n === 'position_ids');
  const pos = hasPos ? b.op('Cast', ['position_ids'], { to: { i: 1 } }) : b.scalarFloat(0);
  const s0 = b.op('Unsqueeze', [ids, b.int64s([-1])]);
  const s1 = b.op('Unsqueeze', [b.op('Add', [b.op('Mul', [ids, b.scalarFloat(2)]), pos]), b.int64s([-1])]);
  const states = b.op('Concat', [s0, s1], { axis: { i: -1 } });
  for (const [name, rank] of opts.outputs ?? [['last_hidden_state', 3]]) {
    if (rank === 3) b.output(states, name, 'float32', ['batch', 'seq', 2]);
    else b.output(b.op('ReduceSum', [states, b.int64s([1])], { keepdims: { i: 0 } }), name, 'float32', ['batch', 2]);
  }
  const dir = await writeModelDir(b.build('hand'), tokJson, opts.config === undefined ? { hidden_size: 2 } : opts.config);
  dirs.push(dir);
  return dir;
}

async function expectLibvqError(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(LibvqError);
  expect((err as LibvqError).code).toBe(code);
  expect((err as LibvqError).message).toMatch(message);
}

describe('OnnxEncoder pooling on a hand-computed model', () => {
  it('mean and cls pooling, int32 inputs, position_ids fed as 0..L-1, empty rows give zeros', async () => {
    const dir = await handModel({ inputs: [['input_ids', 'int32'], ['attention_mask', 'int32'], ['position_ids', 'int64']] });
    const tok = await loadTokenizer(dir);
    // "Wing, FLOW!" -> wing flow; "mach 2 unknownword" -> mach 2 [UNK]; "" -> nothing.
    const seqs = ['Wing, FLOW!', 'mach 2 unknownword', ''].map((t) => tok.encode(t));
    expect(seqs.map((s) => Array.from(s))).toEqual([[2, 3], [4, 5, 1], []]);
    const batch = padBatch(seqs, tok.padId);
    const mean = await OnnxEncoder.fromPretrained(dir, { pooling: 'mean' });
    const m = await mean.embed(batch);
    // Row 0: ids 2,3 at positions 0,1 -> states [2,4], [3,7] -> mean [2.5, 5.5]. Row 1: [4,8],[5,11],[1,4] -> [10/3, 23/3].
    expect(Array.from(m.data)).toEqual(Array.from(Float32Array.of(2.5, 5.5, 10 / 3, 23 / 3, 0, 0)));
    await mean.dispose();
    const cls = await OnnxEncoder.fromPretrained(dir, { pooling: 'cls', normalize: true });
    const c = await cls.embed(batch);
    // First positions: [2,4] -> /sqrt(20); [4,8] -> /sqrt(80); the all-padding row has id 0 -> [0,0] stays 0.
    const expected = Float32Array.of(2 / Math.sqrt(20), 4 / Math.sqrt(20), 4 / Math.sqrt(80), 8 / Math.sqrt(80), 0, 0);
    c.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    await cls.dispose();
    await cls.dispose(); // twice is fine
  });

  it("pooling 'none' reads a [B, d] output picked by name; config.json libvq section sets defaults", async () => {
    const dir = await handModel({ outputs: [['last_hidden_state', 3], ['sentence_embedding', 2]], config: { libvq: { pooling: 'none', dim: 2 } } });
    const enc = await OnnxEncoder.fromPretrained(dir);
    expect(enc.outputName).toBe('sentence_embedding');
    expect(enc.pooling()).toBe('none');
    const out = await enc.embed(padBatch([[2, 3]], 0));
    expect(Array.from(out.data)).toEqual([5, 10]);
    await enc.dispose();
  });
});

describe('OnnxEncoder refuses what it cannot feed or read, naming it', () => {
  it('an unknown model input', async () => {
    const dir = await handModel({ inputs: [['input_ids', 'int64'], ['attention_mask', 'int64'], ['pixel_values', 'int64']] });
    await expectLibvqError(OnnxEncoder.fromPretrained(dir), 'UNSUPPORTED', /input "pixel_values" is not one libvq can feed/);
  });
  it('a model without input_ids', async () => {
    const b = new GraphBuilder();
    b.input('attention_mask', 'int64', ['batch', 'seq']);
    b.output(b.op('Cast', ['attention_mask'], { to: { i: 1 } }), 'sentence_embedding', 'float32', ['batch', 'seq']);
    const dir = await writeModelDir(b.build('nomask'), tokJson, null);
    dirs.push(dir);
    await expectLibvqError(OnnxEncoder.fromPretrained(dir, { pooling: 'none' }), 'UNSUPPORTED', /has no "input_ids" input \(model inputs: attention_mask\)/);
  });
  it('a float input_ids', async () => {
    // Cast of a float input is still a valid graph; the encoder must refuse the element type.
    const dir = await handModel({ inputs: [['input_ids', 'float32']] });
    await expectLibvqError(OnnxEncoder.fromPretrained(dir), 'UNSUPPORTED', /input "input_ids" has element type float32, expected int64 or int32/);
  });
  it('a missing or ambiguous output, or one of the wrong rank', async () => {
    const dir = await handModel({ outputs: [['a', 3], ['b', 3]] });
    await expectLibvqError(OnnxEncoder.fromPretrained(dir, { output: 'nope' }), 'UNSUPPORTED', /has no output "nope" \(model outputs: a, b\)/);
    await expectLibvqError(OnnxEncoder.fromPretrained(dir), 'UNSUPPORTED', /cannot tell which output to use for pooling 'cls'.*model outputs: a, b/);
    const two = await handModel({ outputs: [['pooler_output', 2]] });
    await expectLibvqError(OnnxEncoder.fromPretrained(two, { pooling: 'mean' }), 'UNSUPPORTED', /output "pooler_output" has rank 2 .* pooling 'mean' needs rank 3/);
    await expectLibvqError(OnnxEncoder.fromPretrained(two, { pooling: 'none', dim: 7 }), 'DIMENSION_MISMATCH', /last dimension 2, but dim 7/);
  });
  it('bad options and a bad config', async () => {
    const dir = await handModel();
    await expectLibvqError(OnnxEncoder.fromPretrained(dir, { pooling: 'max' as never }), 'INVALID_ARGUMENT', /pooling: expected 'cls', 'mean' or 'none', got "max"/);
    await writeFile(join(dir, 'config.json'), '{"hidden_size": 2,');
    await expectLibvqError(OnnxEncoder.fromPretrained(dir), 'BAD_FILE', /config\.json: not a valid JSON object/);
  });
  it('missing files and a corrupt model', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'libvq-empty-'));
    dirs.push(empty);
    await expectLibvqError(OnnxEncoder.fromPretrained(empty), 'IO', /no ONNX model \(looked for .*model\.onnx and .*onnx\/model\.onnx\)/);
    await writeFile(join(empty, 'model.onnx'), 'this is not protobuf');
    await expectLibvqError(OnnxEncoder.fromPretrained(empty), 'IO', /cannot read .*tokenizer\.json/);
    await writeFile(join(empty, 'tokenizer.json'), JSON.stringify(tokJson));
    await expectLibvqError(OnnxEncoder.fromPretrained(empty), 'BAD_FILE', /model\.onnx: onnxruntime cannot load it/);
  });
  it('batches that do not fit the model', async () => {
    const dir = await handModel();
    const enc = await OnnxEncoder.fromPretrained(dir, { maxLength: 3 });
    await expectLibvqError(enc.embed(padBatch([[2, 3, 4, 5]], 0)), 'INVALID_ARGUMENT', /4 tokens, the model accepts at most 3/);
    await expectLibvqError(enc.embed({ batchSize: 2, seqLength: 2, inputIds: new Int32Array(3), attentionMask: new Uint8Array(4) }), 'INVALID_ARGUMENT', /batch\.inputIds: expected an Int32Array of batchSize\*seqLength = 4 ids/);
    expect((await enc.embed(padBatch([], 0))).rows).toBe(0);
    await enc.dispose();
  });
});

describe('tokenizer and Encoder checks', () => {
  it('a tokenizer without a pad token, and a WordLevel vocabulary without an unknown token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'libvq-tok-'));
    dirs.push(dir);
    const noPad = structuredClone(tokJson) as Record<string, any>;
    noPad.padding = null;
    delete noPad.model.vocab['[PAD]'];
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(noPad));
    await expectLibvqError(loadTokenizer(dir), 'BAD_FILE', /tokenizer\.json: no pad token/);
    const noUnk = structuredClone(tokJson) as Record<string, any>;
    delete noUnk.model.vocab['[UNK]'];
    delete noUnk.model.unk_token;
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(noUnk));
    const tok = await loadTokenizer(dir);
    expect(Array.from(tok.encode('wing flow'))).toEqual([2, 3]);
    expect(() => tok.encode('wing zeppelin')).toThrow(/token "zeppelin" has no id and the vocabulary has no unknown token/);
  });
  it('Encoder needs towers of one dimension', () => {
    const tower = (dim: number) => ({ dim, embed: async () => ({ rows: 0, dim, data: new Float32Array(0) }) });
    expect(() => new Encoder(tower(4), tower(8))).toThrow(/query tower gives 4-d embeddings, doc tower 8-d/);
    expect(new Encoder(tower(4), tower(4)).dim).toBe(4);
  });
  it('padBatch refuses sequences longer than maxLength', () => {
    expect(() => padBatch([[1, 2, 3]], 0, 2)).toThrow(/sequence 0 has 3 tokens, more than maxLength 2/);
    const b = padBatch([[5], [6, 7]], 9);
    expect(Array.from(b.inputIds)).toEqual([5, 9, 6, 7]);
    expect(Array.from(b.attentionMask)).toEqual([1, 0, 1, 1]);
  });
});
