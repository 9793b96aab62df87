import { LibvqError } from '@libvq/index-core';
import { tensorFloats, type ReadGraph, type ReadNode, type ReadTensor } from '@libvq/encoder/onnx';
import { checkBertConfig, type BertConfig } from './bert-config.js';
import { EMB, layerNames, type BertWeights } from './bert-weights.js';
import { transposed } from './dense.js';

/**
 * Where each weight of a BERT lives in an ONNX graph: the initializer's name and whether it is stored transposed
 * (torch exports a Linear as MatMul(x, Wᵀ) with Wᵀ folded into one [in, out] initializer, often named
 * onnx::MatMul_*). Export writes the trained weights back through this map.
 */
export type OnnxWeightMap = Record<string, { initializer: string; transposed: boolean }>;

export interface RecognizedBert {
  readonly config: BertConfig;
  readonly weights: BertWeights;
  readonly map: OnnxWeightMap;
}

/** What the graph cannot tell and config.json / the caller must: heads, epsilon, pooling, normalisation. */
export interface BertGraphHints {
  heads?: number;
  layerNormEps?: number;
  pooling: 'cls' | 'mean';
  normalize: boolean;
  /** config.json's sizes, cross-checked against the graph's. */
  expect?: { hidden?: number; layers?: number; vocabSize?: number; intermediate?: number };
}

interface Linear {
  matmul: ReadNode;
  weight: ReadTensor;
  /** true: the initializer is [in, out] (x · W), false: [out, in] (a Transpose or Gemm transB feeds it). */
  inOut: boolean;
  bias: ReadTensor;
  /** The value the linear produces (its bias Add's output). */
  out: string;
  inDim: number;
  outDim: number;
}

interface Norm {
  gamma: ReadTensor;
  beta: ReadTensor;
  epsilon?: number;
}

/**
 * Finds a BERT-family encoder in an ONNX graph by its structure, not its node names: the Gathers of the word
 * (by input_ids), token-type (by token_type_ids) and position tables; every Linear (MatMul by a 2-D float
 * initializer, or by its Transpose, or Gemm; plus an Add of a 1-D bias); every LayerNorm (LayerNormalization,
 * or the Mul by a 1-D scale and Add of a 1-D shift that torch's decomposed form ends with). Six Linears and two
 * LayerNorms per layer after the embeddings' LayerNorm, in graph order; query, key and value are told apart by
 * the attention products they feed. Recognised: Hugging Face BertModel graphs as torch.onnx.export / optimum
 * write them (opset 14 and later, LayerNorm fused or not) and the graphs libvq writes. What this does not check
 * (the activation, the attention scale, residuals) the load-time comparison with onnxruntime does.
 */
export function recognizeBertGraph(g: ReadGraph, file: string, hints: BertGraphHints): RecognizedBert {
  const fail = (what: string): never => {
    throw new LibvqError('UNSUPPORTED', `${file}: not a BERT graph this library can train: ${what}`);
  };
  const producer = new Map<string, ReadNode>();
  const consumers = new Map<string, ReadNode[]>();
  for (const n of g.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of n.inputs) {
      if (!consumers.has(i)) consumers.set(i, []);
      consumers.get(i)!.push(n);
    }
  }
  const floatInit = (name: string, rank: number): ReadTensor | null => {
    const t = g.initializers.get(name);
    return t && t.dataType === 1 && t.dims.length === rank ? t : null;
  };

  // Embedding tables.
  const gathers = g.nodes.filter((n) => n.op === 'Gather' && floatInit(n.inputs[0], 2) && (n.attributes.get('axis')?.i ?? 0) === 0);
  const word = gathers.filter((n) => n.inputs[1] === 'input_ids');
  if (word.length !== 1) fail(`expected one Gather of a [vocab, hidden] float table by input_ids (the word embeddings), found ${word.length}`);
  const typeG = gathers.filter((n) => n.inputs[1] === 'token_type_ids');
  const posG = gathers.filter((n) => n !== word[0] && !typeG.includes(n));
  if (posG.length !== 1) fail(`expected one position-embedding Gather besides the word${typeG.length ? ' and token-type' : ''} tables, found ${posG.length}`);
  if (typeG.length > 1) fail(`expected at most one Gather by token_type_ids, found ${typeG.length}`);
  const wordT = floatInit(word[0].inputs[0], 2)!;
  const H = wordT.dims[1];

  // Linears, in graph order.
  const linears: Linear[] = [];
  const linearOf = new Map<string, Linear>(); // MatMul output and bias output -> the linear
  for (const n of g.nodes) {
    let weight: ReadTensor | null = null;
    let inOut = true;
    if (n.op === 'MatMul') {
      weight = floatInit(n.inputs[1], 2);
      if (!weight) {
        const tr = producer.get(n.inputs[1]);
        const perm = tr?.attributes.get('perm')?.ints;
        if (tr?.op === 'Transpose' && (!perm || (perm[0] === 1 && perm[1] === 0))) {
          weight = floatInit(tr.inputs[0], 2);
          inOut = false;
        }
      }
    } else if (n.op === 'Gemm' && floatInit(n.inputs[1], 2)) {
      weight = floatInit(n.inputs[1], 2);
      inOut = (n.attributes.get('transB')?.i ?? 0) === 0;
    }
    if (!weight) continue;
    const [inDim, outDim] = inOut ? weight.dims : [weight.dims[1], weight.dims[0]];
    let bias: ReadTensor | null = null;
    let out = n.outputs[0];
    if (n.op === 'Gemm' && n.inputs[2]) bias = floatInit(n.inputs[2], 1);
    else {
      for (const c of consumers.get(n.outputs[0]) ?? []) {
        if (c.op !== 'Add') continue;
        const other = c.inputs[0] === n.outputs[0] ? c.inputs[1] : c.inputs[0];
        const b = floatInit(other, 1);
        if (b && b.dims[0] === outDim) {
          bias = b;
          out = c.outputs[0];
        }
      }
    }
    if (!bias) fail(`the MatMul by ${weight.name} [${weight.dims.join(', ')}] has no bias Add (BERT's Linears all have one)`);
    const lin: Linear = { matmul: n, weight, inOut, bias: bias!, out, inDim, outDim };
    linears.push(lin);
    linearOf.set(n.outputs[0], lin);
    linearOf.set(out, lin);
  }
  if (linears.length === 0 || linears.length % 6 !== 0) fail(`found ${linears.length} Linear layers (MatMul by a weight + bias); a BERT has 6 per layer`);
  const layers = linears.length / 6;

  // LayerNorms, in graph order.
  const norms: Norm[] = [];
  for (const n of g.nodes) {
    if (n.op === 'LayerNormalization') {
      const gamma = floatInit(n.inputs[1], 1), beta = floatInit(n.inputs[2] ?? '', 1);
      if (!gamma || !beta) fail(`LayerNormalization ${n.name || n.outputs[0]} has no scale and bias initializers`);
      norms.push({ gamma: gamma!, beta: beta!, epsilon: n.attributes.get('epsilon')?.f });
      continue;
    }
    if (n.op !== 'Mul') continue;
    const gamma = floatInit(n.inputs[1], 1) ?? floatInit(n.inputs[0], 1);
    if (!gamma || gamma.dims[0] !== H) continue;
    const add = (consumers.get(n.outputs[0]) ?? []).find((c) => c.op === 'Add');
    if (!add) continue;
    const beta = floatInit(add.inputs[0] === n.outputs[0] ? add.inputs[1] : add.inputs[0], 1);
    if (beta && beta.dims[0] === H) norms.push({ gamma, beta });
  }
  if (norms.length !== 2 * layers + 1) fail(`found ${norms.length} LayerNorms for ${layers} layers; a BERT has 2 per layer plus the embeddings'`);

  // Query / key / value by the attention products: scores = f(q) · g(k), context = probs · h(v).
  const traceLinear = (value: string): Linear | null => {
    let v = value;
    for (let step = 0; step < 24; step++) {
      const l = linearOf.get(v);
      if (l) return l;
      const p = producer.get(v);
      if (!p || p.inputs.length === 0) return null;
      v = p.inputs.find((i) => !g.initializers.has(i) && producer.get(i)?.op !== 'Constant') ?? p.inputs[0];
    }
    return null;
  };
  const products = g.nodes.filter((n) => n.op === 'MatMul' && !linearOf.has(n.outputs[0]) && !floatInit(n.inputs[1], 2));
  if (products.length !== 2 * layers) fail(`found ${products.length} attention products (MatMul of two activations) for ${layers} layers; expected 2 per layer`);

  const config = checkBertConfig({
    vocabSize: wordT.dims[0],
    hidden: H,
    layers,
    heads: hints.heads ?? fail('the number of attention heads is not in the graph; give it (config.json num_attention_heads)'),
    intermediate: linears[4].outDim,
    maxPositions: floatInit(posG[0].inputs[0], 2)!.dims[0],
    typeVocabSize: typeG.length ? floatInit(typeG[0].inputs[0], 2)!.dims[0] : 0,
    layerNormEps: hints.layerNormEps ?? norms[0].epsilon ?? 1e-12,
    pooling: hints.pooling,
    normalize: hints.normalize,
  }, file);
  const ex = hints.expect ?? {};
  const cross: Array<[string, number | undefined, number]> = [
    ['hidden_size', ex.hidden, H], ['num_hidden_layers', ex.layers, layers], ['vocab_size', ex.vocabSize, config.vocabSize], ['intermediate_size', ex.intermediate, config.intermediate],
  ];
  for (const [field, want, got] of cross) if (want !== undefined && want !== got) fail(`config.json ${field} = ${want}, the graph has ${got}`);

  const weights: BertWeights = {};
  const map: OnnxWeightMap = {};
  const used = new Map<string, string>();
  const take = (ours: string, t: ReadTensor, inOut: boolean, shape: readonly number[]): void => {
    const want = inOut ? [shape[1], shape[0]] : shape;
    if (t.dims.length !== want.length || t.dims.some((d, i) => d !== want[i])) fail(`${ours} should be [${want.join(', ')}], initializer ${t.name} is [${t.dims.join(', ')}]`);
    const prev = used.get(t.name);
    if (prev) fail(`initializer ${t.name} is used as both ${prev} and ${ours} (shared weights would be untied by training)`);
    used.set(t.name, ours);
    const data = tensorFloats(t, file);
    weights[ours] = inOut ? (transposed(data, want[0], want[1]) as Float32Array) : data;
    map[ours] = { initializer: t.name, transposed: inOut && shape.length === 2 };
  };
  const I = config.intermediate;
  take(EMB.word, wordT, false, [config.vocabSize, H]);
  take(EMB.pos, floatInit(posG[0].inputs[0], 2)!, false, [config.maxPositions, H]);
  if (typeG.length) take(EMB.type, floatInit(typeG[0].inputs[0], 2)!, false, [config.typeVocabSize, H]);
  const norm = (p: string, n: Norm) => {
    take(`${p}.weight`, n.gamma, false, [H]);
    take(`${p}.bias`, n.beta, false, [H]);
  };
  norm(EMB.ln, norms[0]);
  for (let i = 0; i < layers; i++) {
    const names = layerNames(i);
    const mine = linears.slice(6 * i, 6 * i + 6);
    const [scores, context] = products.slice(2 * i, 2 * i + 2);
    const q = traceLinear(scores.inputs[0]), k = traceLinear(scores.inputs[1]), v = traceLinear(context.inputs[1]);
    if (!q || !k || !v || new Set([q, k, v]).size !== 3 || ![q, k, v].every((l) => mine.includes(l))) {
      fail(`layer ${i}: cannot tell query, key and value apart from the attention products ${scores.outputs[0]} and ${context.outputs[0]}`);
    }
    const rest = mine.filter((l) => l !== q && l !== k && l !== v);
    const [o, ffnIn, ffnOut] = rest;
    if (o.inDim !== H || o.outDim !== H || ffnIn.inDim !== H || ffnIn.outDim !== I || ffnOut.inDim !== I || ffnOut.outDim !== H) {
      fail(`layer ${i}: expected the attention output [${H} -> ${H}], then the feed-forward [${H} -> ${I}] and [${I} -> ${H}] after query, key and value`);
    }
    const lin = (p: string, l: Linear, outDim: number, inDim: number) => {
      take(`${p}.weight`, l.weight, l.inOut, [outDim, inDim]);
      take(`${p}.bias`, l.bias, false, [outDim]);
    };
    lin(names.q, q!, H, H);
    lin(names.k, k!, H, H);
    lin(names.v, v!, H, H);
    lin(names.o, o, H, H);
    lin(names.ffnIn, ffnIn, I, H);
    lin(names.ffnOut, ffnOut, H, I);
    norm(names.ln1, norms[1 + 2 * i]);
    norm(names.ln2, norms[2 + 2 * i]);
  }
  return { config, weights, map };
}
