/**
 * The one module of libvq-ts that touches onnxruntime-node: an encoder tower backed by an ONNX model.
 * Everything else (tokenizer, pooling, model files) is plain TypeScript, so the native runtime stays at
 * this edge.
 *
 * onnxruntime-node is an optional peer dependency (247 MB, and an install script that downloads CUDA parts):
 * index-only users of @libvq/train and @libvq/encoder never install it. So it is imported here only as types
 * (erased at build time) and loaded with a dynamic import() when a model is first opened; no bundle chunk
 * imports it statically.
 */
import type * as Ort from 'onnxruntime-node';
import { LibvqError, type Matrix } from '@libvq/index-core';
import { ONNXRUNTIME_NODE_VERSION, checkMatrix, invalidArgument, normalizeRows } from '@libvq/index-core/util';
import { BaseEncoder, type Tower } from './base-encoder.js';
import { checkTokenBatch, type TokenBatch } from './batch.js';
import { findModelFile, readModelConfig } from './model-dir.js';
import { checkPooling, poolCls, poolMean, type Pooling } from './pooling.js';
import { loadTokenizer } from './tokenizer/load.js';
import type { HfTokenizer } from './tokenizer/hf-tokenizer.js';

type OnnxRuntime = typeof Ort;

/** The version the peer dependency names (package.json) and the one the install hint tells users to get (index-core's native backend names the same). */
export { ONNXRUNTIME_NODE_VERSION };

let runtime: Promise<OnnxRuntime> | undefined;

/**
 * onnxruntime-node, imported on first use and shared afterwards. A failed load is not cached, so installing
 * the package lets a long-running process retry without a restart.
 */
export function loadOnnxRuntime(): Promise<OnnxRuntime> {
  runtime ??= import('onnxruntime-node').catch((err: unknown) => {
    runtime = undefined;
    throw onnxRuntimeLoadError(err);
  });
  return runtime;
}

/**
 * Why onnxruntime-node did not load, as a LibvqError: absent (the index-only install) gets the install
 * command; present but broken (a missing native binary, a wrong platform) gets onnxruntime's own message.
 * Only "cannot find onnxruntime-node itself" counts as absent: a missing file inside it is a broken install.
 */
export function onnxRuntimeLoadError(err: unknown): LibvqError {
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const notFound = e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND';
  if (notFound && /(package|module) 'onnxruntime-node'/.test(message)) {
    return new LibvqError(
      'UNSUPPORTED',
      `onnxruntime-node is not installed: install onnxruntime-node (ONNXRUNTIME_NODE_INSTALL=skip npm i onnxruntime-node@${ONNXRUNTIME_NODE_VERSION}) to run ONNX models. It is an optional peer dependency of @libvq/encoder; indexes and training on your own vectors do not need it`,
      { cause: err },
    );
  }
  return new LibvqError('UNSUPPORTED', `onnxruntime-node is installed but did not load (${message}); reinstall onnxruntime-node@${ONNXRUNTIME_NODE_VERSION} to run ONNX models`, { cause: err });
}

export interface OnnxEncoderOptions {
  /** 'cls' | 'mean' over last_hidden_state, or 'none' for a model that outputs [B, d]. Default: config.json libvq.pooling, else 'cls'. */
  pooling?: Pooling;
  /** L2-normalise the pooled vectors. Default: config.json libvq.normalize, else false. */
  normalize?: boolean;
  /** The output to read. Default: last_hidden_state / token_embeddings (cls, mean) or sentence_embedding / pooler_output (none). */
  output?: string;
  /** Longest token sequence the model accepts. Default: config.json max_position_embeddings, else 512. */
  maxLength?: number;
  /** Embedding dimension, when neither the model's output shape nor config.json tells it. */
  dim?: number;
  /** onnxruntime's intra-op thread count (default: onnxruntime's choice). */
  intraOpNumThreads?: number;
}

/** Everything an OnnxEncoder is made of; fromPretrained builds it from a model directory. */
interface OnnxEncoderParts {
  /** The loaded onnxruntime-node module: embed() builds its input tensors with it. */
  ort: OnnxRuntime;
  session: Ort.InferenceSession;
  name: string;
  pooling: Pooling;
  normalize: boolean;
  /** Whether the model's own output is already L2-normalised (recorded in embedding metadata). */
  outputNormalized?: boolean;
  output?: string;
  maxLength: number;
  dim?: number;
  tokenizer?: HfTokenizer;
}

/** The inputs libvq knows how to feed from a TokenBatch. */
const FEEDABLE = ['input_ids', 'attention_mask', 'token_type_ids', 'position_ids'] as const;
type Feedable = (typeof FEEDABLE)[number];
const TOKEN_OUTPUTS = ['last_hidden_state', 'token_embeddings', 'hidden_states'];
const POOLED_OUTPUTS = ['sentence_embedding', 'pooler_output', 'embeddings', 'text_embeds'];

function metadataOf(session: Ort.InferenceSession, which: 'input' | 'output', name: string): Ort.InferenceSession.ValueMetadata | undefined {
  const list = which === 'input' ? session.inputMetadata : session.outputMetadata;
  return list?.find((m) => m.name === name);
}

export class OnnxEncoder extends BaseEncoder implements Tower {
  readonly dim: number;
  readonly name: string;
  readonly maxLength: number;
  readonly tokenizer: HfTokenizer | undefined;
  readonly outputName: string;
  private readonly poolingMode: Pooling;
  private readonly normalize: boolean;
  private readonly outputNormalized: boolean;
  private readonly inputs: ReadonlyArray<{ name: Feedable; type: 'int64' | 'int32' }>;
  private readonly ort: OnnxRuntime;
  private session: Ort.InferenceSession | null;

  /**
   * Pure: checks the session's inputs and outputs against the options; no I/O. Private, so that the public
   * declarations name no onnxruntime type: a TypeScript consumer without onnxruntime-node still compiles.
   */
  private constructor(parts: OnnxEncoderParts) {
    super();
    const { session, name } = parts;
    this.ort = parts.ort;
    this.name = name;
    this.poolingMode = checkPooling(parts.pooling, `model ${name}: pooling`);
    this.normalize = parts.normalize;
    this.outputNormalized = parts.outputNormalized ?? false;
    if (!Number.isInteger(parts.maxLength) || parts.maxLength < 1) throw invalidArgument('maxLength', 'a positive integer', parts.maxLength);
    this.maxLength = parts.maxLength;
    this.tokenizer = parts.tokenizer;

    const inputs: Array<{ name: Feedable; type: 'int64' | 'int32' }> = [];
    for (const inName of session.inputNames) {
      if (!(FEEDABLE as readonly string[]).includes(inName)) {
        throw new LibvqError('UNSUPPORTED', `model ${name}: input "${inName}" is not one libvq can feed (it feeds ${FEEDABLE.join(', ')}); model inputs: ${session.inputNames.join(', ')}`);
      }
      const md = metadataOf(session, 'input', inName);
      const type = md && md.isTensor ? md.type : 'int64';
      if (type !== 'int64' && type !== 'int32') {
        throw new LibvqError('UNSUPPORTED', `model ${name}: input "${inName}" has element type ${type}, expected int64 or int32`);
      }
      inputs.push({ name: inName as Feedable, type });
    }
    if (!inputs.some((i) => i.name === 'input_ids')) {
      throw new LibvqError('UNSUPPORTED', `model ${name}: has no "input_ids" input (model inputs: ${session.inputNames.join(', ') || 'none'})`);
    }
    this.inputs = inputs;

    this.outputName = pickOutput(session, name, this.poolingMode, parts.output);
    const md = metadataOf(session, 'output', this.outputName);
    const shape = md && md.isTensor ? md.shape : [];
    const wantRank = this.poolingMode === 'none' ? 2 : 3;
    if (shape.length > 0 && shape.length !== wantRank) {
      throw new LibvqError(
        'UNSUPPORTED',
        `model ${name}: output "${this.outputName}" has rank ${shape.length} [${shape.join(', ')}], pooling '${this.poolingMode}' needs rank ${wantRank} (${wantRank === 3 ? '[batch, seq, dim]' : '[batch, dim]'})`,
      );
    }
    const last = shape.length > 0 ? shape[shape.length - 1] : undefined;
    const dim = parts.dim ?? (typeof last === 'number' && last > 0 ? last : undefined);
    if (dim === undefined || !Number.isInteger(dim) || dim < 1) {
      throw new LibvqError('INVALID_ARGUMENT', `model ${name}: cannot tell the embedding dimension from output "${this.outputName}" [${shape.join(', ')}]; give it as dim (or hidden_size in config.json)`);
    }
    if (typeof last === 'number' && last !== dim) {
      throw new LibvqError('DIMENSION_MISMATCH', `model ${name}: output "${this.outputName}" has last dimension ${last}, but dim ${dim} was given`);
    }
    this.dim = dim;
    this.session = session;
  }

  /**
   * Loads a model directory: tokenizer.json (+ tokenizer_config.json), config.json (optional) and
   * model.onnx or onnx/model.onnx.
   */
  static async fromPretrained(dir: string, opts: OnnxEncoderOptions = {}): Promise<OnnxEncoder> {
    // The runtime first: without it no model directory can work, so its absence is the error to report.
    const ort = await loadOnnxRuntime();
    // One file at a time, so the first missing or broken file is the one reported.
    const modelFile = await findModelFile(dir);
    const tokenizer = await loadTokenizer(dir);
    const config = await readModelConfig(dir);
    const sessionOptions: Ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all' };
    if (opts.intraOpNumThreads !== undefined) sessionOptions.intraOpNumThreads = opts.intraOpNumThreads;
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(modelFile, sessionOptions);
    } catch (err) {
      throw new LibvqError('BAD_FILE', `${modelFile}: onnxruntime cannot load it (${(err as Error).message})`, { cause: err });
    }
    try {
      return new OnnxEncoder({
        ort,
        session,
        name: tokenizer.name,
        pooling: opts.pooling ?? (config.libvq?.pooling !== undefined ? checkPooling(config.libvq.pooling, `${dir}/config.json libvq.pooling`) : 'cls'),
        normalize: opts.normalize ?? config.libvq?.normalize ?? false,
        outputNormalized: config.libvq?.normalizedOutput ?? false,
        output: opts.output ?? config.libvq?.output,
        maxLength: opts.maxLength ?? config.maxLength ?? 512,
        dim: opts.dim ?? config.hiddenSize,
        tokenizer,
      });
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  /** Embeds one token batch: B x dim. */
  async embed(batch: TokenBatch): Promise<Matrix> {
    checkTokenBatch(batch);
    const session = this.session;
    if (session === null) throw new LibvqError('INVALID_ARGUMENT', `model ${this.name}: the encoder was disposed`);
    const { batchSize: B, seqLength: L } = batch;
    if (L > this.maxLength) {
      throw new LibvqError('INVALID_ARGUMENT', `model ${this.name}: batch has sequences of ${L} tokens, the model accepts at most ${this.maxLength} (maxLength)`);
    }
    if (B === 0) return { rows: 0, dim: this.dim, data: new Float32Array(0) };
    const feeds: Record<string, Ort.Tensor> = {};
    for (const inp of this.inputs) feeds[inp.name] = new this.ort.Tensor(inp.type, intTensorData(feedValues(inp.name, batch), inp.type), [B, L]);
    let result: Ort.InferenceSession.OnnxValueMapType;
    try {
      result = await session.run(feeds, [this.outputName]);
    } catch (err) {
      throw new LibvqError('UNSUPPORTED', `model ${this.name}: onnxruntime failed on a ${B}x${L} batch (${(err as Error).message})`, { cause: err });
    }
    // onnxruntime-node up to 1.23 keys a single fetched output by the model's *first* output name
    // (microsoft/onnxruntime#26865, fixed in #26939): one fetch gives one value, whatever its key.
    const values = Object.values(result);
    const out = (result[this.outputName] ?? (values.length === 1 ? values[0] : undefined)) as Ort.Tensor | undefined;
    if (out === undefined) throw new LibvqError('UNSUPPORTED', `model ${this.name}: onnxruntime returned no "${this.outputName}" output`);
    if (out.type !== 'float32') throw new LibvqError('UNSUPPORTED', `model ${this.name}: output "${this.outputName}" is ${out.type}, expected float32`);
    const data = out.data as Float32Array;
    const dims = out.dims;
    let m: Matrix;
    if (this.poolingMode === 'none') {
      if (dims.length !== 2 || dims[0] !== B || dims[1] !== this.dim) {
        throw new LibvqError('DIMENSION_MISMATCH', `model ${this.name}: output "${this.outputName}" has shape [${dims.join(', ')}], expected [${B}, ${this.dim}]`);
      }
      m = { rows: B, dim: this.dim, data: Float32Array.from(data) };
    } else {
      if (dims.length !== 3 || dims[0] !== B || dims[1] !== L || dims[2] !== this.dim) {
        throw new LibvqError('DIMENSION_MISMATCH', `model ${this.name}: output "${this.outputName}" has shape [${dims.join(', ')}], expected [${B}, ${L}, ${this.dim}]`);
      }
      m = this.poolingMode === 'cls' ? poolCls(data, B, L, this.dim) : poolMean(data, batch.attentionMask, B, L, this.dim);
    }
    if (this.normalize) normalizeRows(m);
    checkMatrix(m, `model ${this.name} embeddings`);
    return m;
  }

  queryEmb(batch: TokenBatch): Promise<Matrix> {
    return this.embed(batch);
  }

  docEmb(batch: TokenBatch): Promise<Matrix> {
    return this.embed(batch);
  }

  override async dispose(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s !== null) await s.release();
  }

  override describe(): string {
    return this.name;
  }

  override pooling(): string {
    return this.poolingMode;
  }

  override normalized(): boolean {
    return this.normalize || this.outputNormalized;
  }
}

function pickOutput(session: Ort.InferenceSession, name: string, pooling: Pooling, requested: string | undefined): string {
  const outs = session.outputNames;
  if (requested !== undefined) {
    if (!outs.includes(requested)) throw new LibvqError('UNSUPPORTED', `model ${name}: has no output "${requested}" (model outputs: ${outs.join(', ')})`);
    return requested;
  }
  const preferred = pooling === 'none' ? POOLED_OUTPUTS : TOKEN_OUTPUTS;
  const hit = preferred.find((p) => outs.includes(p));
  if (hit !== undefined) return hit;
  if (outs.length === 1) return outs[0];
  throw new LibvqError(
    'UNSUPPORTED',
    `model ${name}: cannot tell which output to use for pooling '${pooling}' (looked for ${preferred.join(', ')}; model outputs: ${outs.join(', ')}); pass output`,
  );
}

/** The values of one model input for a batch (token types default to 0, positions to 0..L-1). */
function feedValues(input: Feedable, batch: TokenBatch): ArrayLike<number> {
  const { batchSize: B, seqLength: L } = batch;
  switch (input) {
    case 'input_ids':
      return batch.inputIds;
    case 'attention_mask':
      return batch.attentionMask;
    case 'token_type_ids':
      return batch.tokenTypeIds ?? new Int32Array(B * L);
    case 'position_ids': {
      const p = new Int32Array(B * L);
      for (let b = 0; b < B; b++) for (let t = 0; t < L; t++) p[b * L + t] = t;
      return p;
    }
  }
}

/**
 * int32 values as the element type the model wants. int64 is filled through an Int32Array view of the
 * BigInt64Array's buffer (low word = value, high word = sign; little-endian hosts, as onnxruntime-node's
 * platforms are) so no BigInt is allocated per token.
 */
function intTensorData(values: ArrayLike<number>, type: 'int64' | 'int32'): BigInt64Array | Int32Array {
  if (type === 'int32') return Int32Array.from(values);
  const out = new BigInt64Array(values.length);
  const words = new Int32Array(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    words[2 * i] = v;
    words[2 * i + 1] = v < 0 ? -1 : 0;
  }
  return out;
}
