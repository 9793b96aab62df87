/**
 * A tiny BERT for the transformer-path test: the ONNX graph (standard ops only, opset 18), a WordPiece
 * tokenizer.json, and an independent float64 forward pass in plain TypeScript to compare against.
 * The reference runs each sequence at its own length (no padding at all), so it also checks that the
 * encoder's padding and attention mask do not leak into the real positions.
 */
import { GraphBuilder, type OnnxGraph } from '../../src/onnx.js';
import { makeRng } from './rng.js';

export interface TinyBertWeights {
  vocab: number; hidden: number; heads: number; ffn: number; layers: number; maxPos: number; types: number;
  word: Float32Array; pos: Float32Array; type: Float32Array; embGamma: Float32Array; embBeta: Float32Array;
  layer: Array<{
    wq: Float32Array; bq: Float32Array; wk: Float32Array; bk: Float32Array; wv: Float32Array; bv: Float32Array;
    wo: Float32Array; bo: Float32Array; g1: Float32Array; b1: Float32Array;
    wi: Float32Array; bi: Float32Array; w2: Float32Array; b2: Float32Array; g2: Float32Array; bb2: Float32Array;
  }>;
}

export const LN_EPS = 1e-12;

export function tinyBertWeights(seed: number, vocab: number): TinyBertWeights {
  const rng = makeRng(seed);
  const H = 32, heads = 2, I = 64, layers = 2, maxPos = 64, types = 2;
  const mat = (n: number, scale: number) => Float32Array.from({ length: n }, () => rng.normal() * scale);
  const around1 = (n: number) => Float32Array.from({ length: n }, () => 1 + 0.1 * rng.normal());
  return {
    vocab, hidden: H, heads, ffn: I, layers, maxPos, types,
    word: mat(vocab * H, 1), pos: mat(maxPos * H, 0.5), type: mat(types * H, 0.5),
    embGamma: around1(H), embBeta: mat(H, 0.1),
    layer: Array.from({ length: layers }, () => ({
      wq: mat(H * H, 1 / Math.sqrt(H)), bq: mat(H, 0.1), wk: mat(H * H, 1 / Math.sqrt(H)), bk: mat(H, 0.1),
      wv: mat(H * H, 1 / Math.sqrt(H)), bv: mat(H, 0.1), wo: mat(H * H, 1 / Math.sqrt(H)), bo: mat(H, 0.1),
      g1: around1(H), b1: mat(H, 0.1),
      wi: mat(H * I, 1 / Math.sqrt(H)), bi: mat(I, 0.1), w2: mat(I * H, 1 / Math.sqrt(I)), b2: mat(H, 0.1),
      g2: around1(H), bb2: mat(H, 0.1),
    })),
  };
}

/** The BERT encoder as an ONNX graph: inputs input_ids, attention_mask, token_type_ids; output last_hidden_state. */
export function tinyBertGraph(w: TinyBertWeights): OnnxGraph {
  const b = new GraphBuilder();
  const H = w.hidden, nh = w.heads, hd = H / nh;
  const ids = b.input('input_ids', 'int64', ['batch', 'seq']);
  const mask = b.input('attention_mask', 'int64', ['batch', 'seq']);
  const tt = b.input('token_type_ids', 'int64', ['batch', 'seq']);
  const f = (dims: number[], data: Float32Array) => b.init('float32', dims, data);
  const lastAxis = b.int64s([-1]);
  const eps = b.scalarFloat(LN_EPS);
  const layerNorm = (x: string, gamma: Float32Array, beta: Float32Array) => {
    const mean = b.op('ReduceMean', [x, lastAxis], { keepdims: { i: 1 } });
    const d = b.op('Sub', [x, mean]);
    const variance = b.op('ReduceMean', [b.op('Pow', [d, b.scalarFloat(2)]), lastAxis], { keepdims: { i: 1 } });
    const y = b.op('Div', [d, b.op('Sqrt', [b.op('Add', [variance, eps])])]);
    return b.op('Add', [b.op('Mul', [y, f([H], gamma)]), f([H], beta)]);
  };
  const linear = (x: string, wt: Float32Array, bias: Float32Array, inDim: number, outDim: number) =>
    b.op('Add', [b.op('MatMul', [x, f([inDim, outDim], wt)]), f([outDim], bias)]);

  // Embeddings: word + position (0..L-1 from the input's shape) + token type.
  const seqLen = b.op('Gather', [b.op('Shape', [ids]), b.scalarInt64(1)], { axis: { i: 0 } });
  const positions = b.op('Range', [b.scalarInt64(0), seqLen, b.scalarInt64(1)]);
  const emb = b.op('Add', [
    b.op('Add', [b.op('Gather', [f([w.vocab, H], w.word), ids]), b.op('Gather', [f([w.maxPos, H], w.pos), positions])]),
    b.op('Gather', [f([w.types, H], w.type), tt]),
  ]);
  let x = layerNorm(emb, w.embGamma, w.embBeta);

  // Additive attention bias: 0 for real tokens, -10000 for padding, shaped [B, 1, 1, L].
  const maskF = b.op('Cast', [mask], { to: { i: 1 } });
  const bias = b.op('Mul', [b.op('Sub', [b.scalarFloat(1), maskF]), b.scalarFloat(-10000)]);
  const bias4 = b.op('Unsqueeze', [bias, b.int64s([1, 2])]);
  const heads = b.int64s([0, 0, nh, hd]);
  const merged = b.int64s([0, 0, H]);
  const scale = b.scalarFloat(Math.sqrt(hd));

  for (const l of w.layer) {
    const split = (t: string, perm: number[]) => b.op('Transpose', [b.op('Reshape', [t, heads])], { perm: { ints: perm } });
    const q = split(linear(x, l.wq, l.bq, H, H), [0, 2, 1, 3]);
    const kT = split(linear(x, l.wk, l.bk, H, H), [0, 2, 3, 1]);
    const v = split(linear(x, l.wv, l.bv, H, H), [0, 2, 1, 3]);
    const scores = b.op('Add', [b.op('Div', [b.op('MatMul', [q, kT]), scale]), bias4]);
    const probs = b.op('Softmax', [scores], { axis: { i: -1 } });
    const ctx = b.op('Reshape', [b.op('Transpose', [b.op('MatMul', [probs, v])], { perm: { ints: [0, 2, 1, 3] } }), merged]);
    x = layerNorm(b.op('Add', [x, linear(ctx, l.wo, l.bo, H, H)]), l.g1, l.b1);
    const h = linear(x, l.wi, l.bi, H, w.ffn);
    // GELU(h) = 0.5 h (1 + erf(h / sqrt 2)), BERT's exact form.
    const gelu = b.op('Mul', [b.op('Mul', [h, b.scalarFloat(0.5)]), b.op('Add', [b.scalarFloat(1), b.op('Erf', [b.op('Div', [h, b.scalarFloat(Math.SQRT2)])])])]);
    x = layerNorm(b.op('Add', [x, linear(gelu, l.w2, l.b2, w.ffn, H)]), l.g2, l.bb2);
  }
  b.output(x, 'last_hidden_state', 'float32', ['batch', 'seq', H]);
  return b.build('tiny_bert');
}

/** erf in float64: Taylor series near 0, continued fraction for erfc in the tails (|error| < 1e-13). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax, sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))), evaluated bottom-up.
  let frac = ax;
  for (let k = 60; k >= 1; k--) frac = ax + k / 2 / frac;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / frac;
  return Math.sign(x) * (1 - erfc);
}

/** float64 forward pass of one unpadded sequence: L x H hidden states. */
export function tinyBertReference(w: TinyBertWeights, ids: readonly number[], typeIds?: readonly number[]): Float64Array {
  const L = ids.length, H = w.hidden, nh = w.heads, hd = H / nh, I = w.ffn;
  let x = new Float64Array(L * H);
  for (let t = 0; t < L; t++) {
    const tt = typeIds?.[t] ?? 0;
    for (let j = 0; j < H; j++) x[t * H + j] = w.word[ids[t] * H + j] + w.pos[t * H + j] + w.type[tt * H + j];
  }
  const layerNorm = (a: Float64Array, g: Float32Array, beta: Float32Array) => {
    const out = new Float64Array(a.length);
    for (let t = 0; t < L; t++) {
      let mean = 0;
      for (let j = 0; j < H; j++) mean += a[t * H + j];
      mean /= H;
      let v = 0;
      for (let j = 0; j < H; j++) v += (a[t * H + j] - mean) ** 2;
      v /= H;
      const inv = 1 / Math.sqrt(v + LN_EPS);
      for (let j = 0; j < H; j++) out[t * H + j] = (a[t * H + j] - mean) * inv * g[j] + beta[j];
    }
    return out;
  };
  const linear = (a: Float64Array, wt: Float32Array, bias: Float32Array, n: number, m: number) => {
    const out = new Float64Array(L * m);
    for (let t = 0; t < L; t++) for (let o = 0; o < m; o++) {
      let s = bias[o];
      for (let k = 0; k < n; k++) s += a[t * n + k] * wt[k * m + o];
      out[t * m + o] = s;
    }
    return out;
  };
  x = layerNorm(x, w.embGamma, w.embBeta);
  for (const l of w.layer) {
    const q = linear(x, l.wq, l.bq, H, H), k = linear(x, l.wk, l.bk, H, H), v = linear(x, l.wv, l.bv, H, H);
    const ctx = new Float64Array(L * H);
    const p = new Float64Array(L);
    for (let h = 0; h < nh; h++) for (let i = 0; i < L; i++) {
      let max = -Infinity;
      for (let j = 0; j < L; j++) {
        let s = 0;
        for (let c = 0; c < hd; c++) s += q[i * H + h * hd + c] * k[j * H + h * hd + c];
        p[j] = s / Math.sqrt(hd);
        if (p[j] > max) max = p[j];
      }
      let z = 0;
      for (let j = 0; j < L; j++) z += (p[j] = Math.exp(p[j] - max));
      for (let c = 0; c < hd; c++) {
        let s = 0;
        for (let j = 0; j < L; j++) s += p[j] * v[j * H + h * hd + c];
        ctx[i * H + h * hd + c] = s / z;
      }
    }
    const attn = linear(ctx, l.wo, l.bo, H, H);
    for (let i = 0; i < x.length; i++) attn[i] += x[i];
    x = layerNorm(attn, l.g1, l.b1);
    const hmid = linear(x, l.wi, l.bi, H, I);
    for (let i = 0; i < hmid.length; i++) hmid[i] = 0.5 * hmid[i] * (1 + erf(hmid[i] / Math.SQRT2));
    const ffn = linear(hmid, l.w2, l.b2, I, H);
    for (let i = 0; i < x.length; i++) ffn[i] += x[i];
    x = layerNorm(ffn, l.g2, l.bb2);
  }
  return x;
}

/** A WordPiece vocabulary (specials, letters, ##letters, some words) and its tokenizer.json. */
export const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const LETTERS = 'abcdefghijklmnopqrstuvwxyz'.split('');
const WORDS = ['the', 'wing', 'flow', 'air', 'speed', 'boundary', 'layer', 'pressure', 'heat', 'shock', 'wave', 'mach', 'of', 'at', 'and', 'in', 'on', 'supersonic', 'body', '##wave', '##ing', '##ed', '##er', '##s2'];
export const VOCAB: string[] = [...SPECIALS, ...LETTERS, ...LETTERS.map((c) => `##${c}`), ...WORDS];
export const id = (tok: string): number => {
  const i = VOCAB.indexOf(tok);
  if (i < 0) throw new Error(`not in the test vocabulary: ${tok}`);
  return i;
};

export function wordPieceTokenizerJson(): Record<string, unknown> {
  const special = (content: string) => ({ id: id(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(VOCAB.map((t, i) => [t, i])) },
  };
}
