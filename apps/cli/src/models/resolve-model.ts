import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { LibvqError } from '@libvq/index-core';
import { OnnxEncoder, loadTokenizer, type BaseEncoder, type HfTokenizer, type Pooling } from '@libvq/encoder';
import { GLOVE100_MODEL_NAME, ensureGlove100Model, loadGlove100Encoder, loadGlove100Table } from '@libvq/glove';
import { EmbeddingBagTower, type TrainableTower } from '@libvq/train';
import { withProgress } from '../progress.js';

/*
 * The one place the CLI turns a model argument (`--model`, `--tokenizer`) into what its commands use: a built-in
 * model's name (registered below; others can be added with registerModel) or a model directory (tokenizer.json,
 * config.json, model.onnx). Every command asks resolveModel, so no command knows a model by name.
 */

/** How `libvq encode` runs a model (model directories; a built-in model may refuse what it fixes itself). */
export interface EncoderOptions {
  pooling?: Pooling;
  normalize?: boolean;
  /** onnxruntime intra-op threads. */
  threads?: number;
}

/** Options of a trainable tower (the model's own parameters train). */
export interface TowerOptions {
  /** Learning rate of the model's parameters (default: the tower's). */
  lrEmbeddings?: number;
}

/**
 * A new trainable tower each call, each over weights of its own: the first over the loaded ones (no copy of a
 * large table), each later one over a copy of those as they are at the call, so make them before training the first.
 */
export type TowerFactory = (opts?: TowerOptions) => TrainableTower;

export interface ResolvedModel {
  /** The name or path the model was given as. */
  readonly name: string;
  /** The model directory, for a model given as one (a transformer's weights are read from it). */
  readonly dir?: string;
  /** Its tokenizer (what `libvq preprocess` tokenizes with). */
  tokenizer(): Promise<HfTokenizer>;
  /** Its encoder (`libvq encode`, and the frozen towers of `libvq train`). */
  encoder(opts?: EncoderOptions): Promise<BaseEncoder>;
  /**
   * Trainable towers over the model's own parameters, for models that have them in TypeScript (glove-100: its
   * word vectors). Absent: `libvq train` trains a linear head over each frozen tower instead (HeadTower).
   */
  towers?(signal?: AbortSignal): Promise<TowerFactory>;
}

/** What every resolver is given (where built-in models are generated). */
export interface ModelContext {
  cacheDir?: string;
}

export type ModelResolver = (ctx: ModelContext) => ResolvedModel;

/** The model commands use when none is given. */
export const DEFAULT_MODEL = GLOVE100_MODEL_NAME;

const registry = new Map<string, ModelResolver>();

/** Makes `name` a model argument of every command; a later registration of the same name replaces the earlier one. */
export function registerModel(name: string, resolver: ModelResolver): void {
  if (name.trim() === '') throw new LibvqError('INVALID_ARGUMENT', 'registerModel: the name is empty');
  registry.set(name, resolver);
}

/** The registered model names, in registration order (for help and error messages). */
export function modelNames(): string[] {
  return [...registry.keys()];
}

/**
 * `arg` as a model: a registered name, a model directory, or a model directory's tokenizer.json (its directory).
 * `what` names the option in errors. Nothing is loaded yet: each part loads when it is asked for.
 */
export async function resolveModel(arg: string, opts: ModelContext & { what?: string } = {}): Promise<ResolvedModel> {
  const what = opts.what ?? '--model';
  const named = registry.get(arg);
  if (named) return named({ cacheDir: opts.cacheDir });
  let isDir: boolean;
  try {
    isDir = (await stat(arg)).isDirectory();
  } catch {
    const names = modelNames().map((n) => `"${n}"`).join(', ');
    throw new LibvqError('IO', `${what}: ${arg} is neither ${names} nor an existing model directory or tokenizer.json`);
  }
  if (!isDir && basename(arg) !== 'tokenizer.json') {
    throw new LibvqError('INVALID_ARGUMENT', `${what}: ${arg} is a file but not a tokenizer.json (give the model directory or its tokenizer.json)`);
  }
  return directoryModel(arg, isDir ? arg : dirname(arg));
}

/** A model directory: its tokenizer.json, and model.onnx with config.json through OnnxEncoder. */
function directoryModel(name: string, dir: string): ResolvedModel {
  return {
    name,
    dir,
    tokenizer: () => loadTokenizer(dir),
    encoder: (o = {}) => OnnxEncoder.fromPretrained(dir, { pooling: o.pooling, normalize: o.normalize, intraOpNumThreads: o.threads }),
  };
}

/**
 * glove-100 (@libvq/glove): generated into the cache on first use; its towers are EmbeddingBagTowers over the
 * model's embedding table, so its word vectors train (named 'glove-100-trainable' in checkpoints).
 */
function glove100({ cacheDir }: ModelContext): ResolvedModel {
  const preparing = <T>(fn: (onProgress: (done: number, total: number) => void) => Promise<T>) => withProgress(`preparing ${GLOVE100_MODEL_NAME}`, 'steps', fn);
  return {
    name: GLOVE100_MODEL_NAME,
    tokenizer: async () => loadTokenizer(await preparing((onProgress) => ensureGlove100Model({ cacheDir, onProgress }))),
    encoder: async (o = {}) => {
      if (o.pooling !== undefined || o.normalize !== undefined) {
        throw new LibvqError('INVALID_ARGUMENT', `--pooling/--normalize: the ${GLOVE100_MODEL_NAME} model has its own pooling (mean of known words, L2-normalised)`);
      }
      return preparing((onProgress) => loadGlove100Encoder({ cacheDir, onProgress, encoder: { intraOpNumThreads: o.threads } }));
    },
    towers: async (signal) => {
      const table = await loadGlove100Table({ cacheDir, signal });
      let loaded: Float32Array | null = table.data;
      return (o = {}) => {
        const weights = loaded ?? Float32Array.from(table.data);
        loaded = null;
        return new EmbeddingBagTower(weights, table.dim, { name: `${GLOVE100_MODEL_NAME}-trainable`, lrEmbeddings: o.lrEmbeddings });
      };
    },
  };
}

registerModel(GLOVE100_MODEL_NAME, glove100);
