import { copyFile, mkdir, readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LibvqError } from '@libvq/index-core';
import { writeDirectoryAtomic, writeFileAtomic } from '@libvq/index-core/util';
import { OnnxEncoder, type TokenBatch } from '@libvq/encoder';
import { findModelFile, readModelConfig } from '@libvq/encoder/model';
import { encodeModel, readOnnxGraph, rewriteInitializers, type ReadGraph } from '@libvq/encoder/onnx';
import { decodeSafetensors, encodeSafetensors } from '../checkpoint/safetensors.js';
import { bertConfigFromHf, bertConfigToHf, checkHfBertKind, type BertConfig } from './bert-config.js';
import { bertOnnxGraph } from './bert-graph.js';
import { recognizeBertGraph, type OnnxWeightMap } from './bert-onnx.js';
import { BertModel } from './bert-model.js';
import { bertTensorSpecs, checkBertWeights, type BertWeights } from './bert-weights.js';
import { transposed } from './dense.js';

export interface LoadBertOptions {
  /** Default: config.json libvq.pooling, else 'cls' (what OnnxEncoder does with the same directory). */
  pooling?: 'cls' | 'mean';
  /** Default: config.json libvq.normalize, else false. */
  normalize?: boolean;
  /**
   * Run a probe batch through onnxruntime (OnnxEncoder on the same directory) and through the TypeScript forward
   * and refuse the model when they differ by more than 1e-3: the proof that the graph is one the TypeScript
   * forward reproduces. Default true when the directory has a model.onnx.
   */
  verify?: boolean;
}

/** A BERT model directory as training reads it: the weights, and (with an ONNX model) how to write them back. */
export interface BertModelDir {
  readonly dir: string;
  readonly config: BertConfig;
  readonly weights: BertWeights;
  /** The ONNX model the weights came from (export rewrites its initializers), or null (safetensors only). */
  readonly onnx: { readonly file: string; readonly bytes: Uint8Array; readonly graph: ReadGraph; readonly map: OnnxWeightMap } | null;
  /** config.json as read ({} without one): export keeps its other fields. */
  readonly hfConfig: Record<string, unknown>;
  /** Largest gap between the TypeScript forward and onnxruntime on the probe batch (null: not verified). */
  readonly verifiedMaxAbs: number | null;
}

const HF_PREFIX = 'bert.';

/**
 * Reads a BERT-family model directory: model.onnx (or onnx/model.onnx) whose graph recognizeBertGraph finds the
 * weights in, else model.safetensors with config.json (Hugging Face's names, with or without the "bert." prefix
 * of BertFor* checkpoints; F32 or F64). Weights come back as float32.
 */
export async function loadBertDir(dir: string, opts: LoadBertOptions = {}): Promise<BertModelDir> {
  const mc = await readModelConfig(dir);
  const raw = mc.raw;
  const pooling = opts.pooling ?? (mc.libvq?.pooling === 'mean' ? 'mean' : mc.libvq?.pooling === undefined || mc.libvq.pooling === 'cls' ? 'cls' : badPooling(dir, mc.libvq.pooling));
  const normalize = opts.normalize ?? mc.libvq?.normalize ?? false;
  let modelFile: string | null = null;
  try {
    modelFile = await findModelFile(dir);
  } catch {
    modelFile = null;
  }
  if (modelFile) {
    const bytes = new Uint8Array(await readFile(modelFile));
    const graph = readOnnxGraph(bytes, modelFile);
    const num = (k: string) => (typeof raw[k] === 'number' ? (raw[k] as number) : undefined);
    const rec = recognizeBertGraph(graph, modelFile, {
      heads: num('num_attention_heads'),
      layerNormEps: num('layer_norm_eps'),
      pooling,
      normalize,
      expect: { hidden: num('hidden_size'), layers: num('num_hidden_layers'), vocabSize: num('vocab_size'), intermediate: num('intermediate_size') },
    });
    checkHfBertKind(raw, join(dir, 'config.json'));
    const verifiedMaxAbs = opts.verify === false ? null : await verifyWithOnnxRuntime(dir, rec.config, rec.weights);
    return { dir, config: rec.config, weights: rec.weights, onnx: { file: modelFile, bytes, graph, map: rec.map }, hfConfig: raw, verifiedMaxAbs };
  }
  const stFile = join(dir, 'model.safetensors');
  let buf: Uint8Array;
  try {
    buf = new Uint8Array(await readFile(stFile));
  } catch (err) {
    throw new LibvqError('IO', `model directory ${dir}: neither an ONNX model nor model.safetensors to read a BERT from (${(err as Error).message})`, { cause: err });
  }
  if (Object.keys(raw).length === 0) throw new LibvqError('BAD_FILE', `${dir}: model.safetensors needs a config.json (hidden_size, num_attention_heads, ...)`);
  const config = bertConfigFromHf(raw, join(dir, 'config.json'), { pooling, normalize });
  const dec = decodeSafetensors(buf, stFile);
  const weights: BertWeights = {};
  for (const s of bertTensorSpecs(config)) {
    const t = dec.tensors[s.name] ?? dec.tensors[HF_PREFIX + s.name];
    if (!t) throw new LibvqError('BAD_FILE', `${stFile}: tensor "${s.name}" is missing`);
    if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) throw new LibvqError('BAD_FILE', `${stFile}: tensor "${s.name}" is [${t.shape.join(', ')}], config.json makes it [${s.shape.join(', ')}]`);
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) throw new LibvqError('UNSUPPORTED', `${stFile}: tensor "${s.name}" is not F32 or F64`);
    weights[s.name] = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
  }
  checkBertWeights(config, weights, stFile);
  return { dir, config, weights, onnx: null, hfConfig: raw, verifiedMaxAbs: null };
}

function badPooling(dir: string, p: string): never {
  throw new LibvqError('BAD_FILE', `${join(dir, 'config.json')}: libvq.pooling ${JSON.stringify(p)}: a trainable BERT pools with "cls" or "mean"`);
}

/** Two probe sequences (different lengths, so padding is in play) of ids spread over the vocabulary. */
export function probeBatch(c: BertConfig): TokenBatch {
  const L = Math.min(9, c.maxPositions);
  const lens = [L, Math.max(1, Math.ceil(L / 2))];
  const inputIds = new Int32Array(2 * L);
  const attentionMask = new Uint8Array(2 * L);
  lens.forEach((n, b) => {
    for (let t = 0; t < n; t++) {
      inputIds[b * L + t] = (1 + ((b * 7919 + t * 104729) % (c.vocabSize - 1))) % c.vocabSize;
      attentionMask[b * L + t] = 1;
    }
  });
  return { batchSize: 2, seqLength: L, inputIds, attentionMask };
}

/** Max |TypeScript forward − onnxruntime| of the pooled embeddings on the probe batch; refuses above 1e-3. */
async function verifyWithOnnxRuntime(dir: string, config: BertConfig, weights: BertWeights): Promise<number> {
  const enc = await OnnxEncoder.fromPretrained(dir, { pooling: config.pooling, normalize: config.normalize });
  try {
    const batch = probeBatch(config);
    const theirs = (await enc.embed(batch)).data;
    const ours = new BertModel(config, weights, new Set()).embed64(batch);
    let max = 0;
    for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i] - theirs[i]));
    if (!(max <= 1e-3)) {
      throw new LibvqError('UNSUPPORTED', `${dir}: the graph's weights were found, but onnxruntime's output differs from the TypeScript BERT forward by ${max.toExponential(2)} (max abs, probe batch); the graph computes something else (another activation, pre-LayerNorm blocks, another attention scale?), which this library cannot train`);
    }
    return max;
  } finally {
    await enc.dispose();
  }
}

/** Tokenizer and other side files a model directory carries, copied as they are on export. */
const SIDE_FILES = /^(tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|vocab\.txt|sentence_bert_config\.json|modules\.json)$/;

/**
 * Writes a trained BERT as a model directory (atomically: a temporary directory renamed into place): model.onnx
 * — the source's graph with only the weight initializers replaced, or bertOnnxGraph when the source had no ONNX
 * model — plus model.safetensors (Hugging Face names, F32), config.json (the source's, sizes and libvq pooling
 * updated) and the tokenizer files. OnnxEncoder.fromPretrained serves it; Python's safetensors reads the tensors.
 */
export async function writeBertDir(out: string, src: BertModelDir, weights: BertWeights): Promise<void> {
  const c = src.config;
  checkBertWeights(c, weights, 'writeBertDir');
  const f32 = (a: ArrayLike<number>) => (a instanceof Float32Array ? a : Float32Array.from(a));
  await mkdir(dirname(out), { recursive: true });
  await writeDirectoryAtomic(out, async (tmp) => {
    let onnxChunks: Uint8Array[];
    if (src.onnx) {
      const replace = new Map<string, Float32Array>();
      for (const s of bertTensorSpecs(c)) {
        const m = src.onnx.map[s.name];
        const w = f32(weights[s.name]);
        replace.set(m.initializer, m.transposed ? (transposed(w, s.shape[0], s.shape[1]) as Float32Array) : w);
      }
      onnxChunks = rewriteInitializers(src.onnx.bytes, src.onnx.graph, replace, src.onnx.file);
    } else {
      onnxChunks = encodeModel(bertOnnxGraph(c, weights), { producer: 'libvq-ts' });
    }
    await writeFileAtomic(join(tmp, 'model.onnx'), onnxChunks);
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const s of bertTensorSpecs(c)) tensors[s.name] = { shape: [...s.shape], data: f32(weights[s.name]) };
    await writeFileAtomic(join(tmp, 'model.safetensors'), [encodeSafetensors(tensors, { format: 'pt' })]);
    const libvq = { ...((src.hfConfig.libvq as Record<string, unknown> | undefined) ?? {}), pooling: c.pooling, normalize: c.normalize };
    const config = { ...src.hfConfig, ...bertConfigToHf(c), libvq };
    await writeFileAtomic(join(tmp, 'config.json'), [new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`)]);
    for (const name of await readdir(src.dir)) if (SIDE_FILES.test(name)) await copyFile(join(src.dir, name), join(tmp, name));
  });
}
