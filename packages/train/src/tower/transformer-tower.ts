import { LibvqError, type Matrix } from '@libvq/index-core';
import { invalidArgument } from '@libvq/index-core/util';
import type { TokenBatch } from '@libvq/encoder';
import type { Floats } from '../grad/types.js';
import { AdamW } from '../optim/adamw.js';
import { loadBertDir, writeBertDir, type BertModelDir, type LoadBertOptions } from '../transformer/bert-dir.js';
import { BertModel } from '../transformer/bert-model.js';
import { EMB, bertTensorSpecs, type BertTensorSpec } from '../transformer/bert-weights.js';
import { restoreSparseMoments, sparseMomentArrays } from './sparse-moments.js';
import { toMatrix32 } from './linear-head.js';
import { stateArray, stateStep, type TowerState, type TrainableTower } from './types.js';

/**
 * Which weights of the transformer train: 'all'; 'embeddings-frozen' (every encoder layer, not the token /
 * position / segment tables and their LayerNorm); 'top-K' (the top K encoder layers only: the layers below are
 * not even differentiated, so this is also the cheap setting).
 */
export type TrainLayers = 'all' | 'embeddings-frozen' | `top-${number}`;

export interface TransformerTowerOptions {
  trainLayers?: TrainLayers;
  /** AdamW learning rate. Default 1e-5 (LibVQ's encoder rate). */
  lr?: number;
  /** Decoupled weight decay of the weight matrices and tables; biases and LayerNorm take none. Default 0.01 (LibVQ). */
  weightDecay?: number;
  /** Micro-batches whose gradients are summed (and averaged) before one optimiser step. Default 1. */
  accumulate?: number;
  /** Threads of the matrix products (the same bytes for any value). Default 1. */
  threads?: number;
}

/** Checks a trainLayers value against a model of `layers` layers (errors say what is accepted). */
export function checkTrainLayers(v: unknown, layers: number, name = 'trainLayers'): TrainLayers {
  if (v === 'all' || v === 'embeddings-frozen') return v;
  const m = typeof v === 'string' ? /^top-(\d+)$/.exec(v) : null;
  const k = m ? Number(m[1]) : NaN;
  if (!(k >= 1 && k <= layers)) throw invalidArgument(name, `"all", "embeddings-frozen" or "top-K" with K from 1 to the model's ${layers} layers`, v);
  return v as TrainLayers;
}

function trains(s: BertTensorSpec, which: TrainLayers, layers: number): boolean {
  if (which === 'all') return true;
  if (which === 'embeddings-frozen') return s.layer !== 'embeddings';
  const k = Number(which.slice(4));
  return s.layer !== 'embeddings' && s.layer >= layers - k;
}

/**
 * A BERT-family transformer as a trainable query (or document) tower: LibVQ's LearnableIndexWithEncoder trains the
 * encoder itself with the index. Forward and backward are BertModel's (TypeScript, float32, matrix products on the
 * WebAssembly SIMD kernel); each trainable tensor has its own AdamW (LibVQ's settings: lr 1e-5, weight decay 0.01
 * except biases and LayerNorm; the warm-up is the training loop's schedule, passed in as lrFactor). save() writes
 * the trained encoder as a model directory that OnnxEncoder (onnxruntime) serves.
 */
export class TransformerTower implements TrainableTower {
  readonly dim: number;
  readonly model: BertModel;
  readonly trainLayers: TrainLayers;
  readonly accumulate: number;
  private readonly source: BertModelDir;
  private readonly names: readonly string[];
  private readonly opts: Map<string, AdamW> = new Map();
  private pending = 0;

  constructor(source: BertModelDir, opts: TransformerTowerOptions = {}) {
    const c = source.config;
    this.trainLayers = checkTrainLayers(opts.trainLayers ?? 'all', c.layers);
    const accumulate = opts.accumulate ?? 1;
    if (!Number.isInteger(accumulate) || accumulate < 1) throw invalidArgument('accumulate', 'a positive integer number of micro-batches', accumulate);
    this.accumulate = accumulate;
    const lr = opts.lr ?? 1e-5;
    const wd = opts.weightDecay ?? 0.01;
    const specs = bertTensorSpecs(c).filter((s) => trains(s, this.trainLayers, c.layers));
    this.names = specs.map((s) => s.name);
    this.source = source;
    this.model = new BertModel(c, source.weights, new Set(this.names), { threads: opts.threads });
    this.dim = c.hidden;
    for (const s of specs) {
      const p = source.weights[s.name];
      this.opts.set(s.name, new AdamW(p, s.shape[s.shape.length - 1], { lr, weightDecay: s.decay ? wd : 0, stateDtype: 'float32' }, s.name));
    }
  }

  /** Reads a model directory (loadBertDir: a recognised BERT graph, verified against onnxruntime, or model.safetensors). */
  static async fromPretrained(dir: string, opts: TransformerTowerOptions & LoadBertOptions = {}): Promise<TransformerTower> {
    return new TransformerTower(await loadBertDir(dir, opts), opts);
  }

  /**
   * Reads the model directory once and returns a maker of towers: the first over the loaded weights, each later one
   * over a fresh copy of the weights as loaded (the towers of several trained rows, or a query and a document tower,
   * each start from the model and train weights of their own).
   */
  static async factory(dir: string, opts: TransformerTowerOptions & LoadBertOptions = {}): Promise<() => TransformerTower> {
    const src = await loadBertDir(dir, opts);
    const pristine = Object.fromEntries(Object.entries(src.weights).map(([k, v]) => [k, v.slice()]));
    let first = true;
    return () => {
      const weights = first ? src.weights : Object.fromEntries(Object.entries(pristine).map(([k, v]) => [k, v.slice()]));
      first = false;
      return new TransformerTower({ ...src, weights }, opts);
    };
  }

  describe(): string {
    const c = this.model.config;
    return `bert-${c.layers}x${c.hidden}-${this.trainLayers}`;
  }

  /** Whether the model's output is L2-normalised (the pooled vectors are). */
  normalized(): boolean {
    return this.model.config.normalize;
  }

  forward(batch: TokenBatch): Matrix {
    return toMatrix32(this.model.forward(batch), batch.batchSize, this.dim);
  }

  async embed(batch: TokenBatch): Promise<Matrix> {
    return toMatrix32(this.model.embed64(batch), batch.batchSize, this.dim);
  }

  backward(gradOut: Float64Array): void {
    this.model.backward(gradOut);
  }

  /** Counts a micro-batch; every `accumulate` of them, applies the averaged gradients (AdamW) and clears them. */
  step(lrFactor = 1): void {
    this.pending++;
    if (this.pending < this.accumulate) return;
    const scale = 1 / this.pending;
    const H = this.dim;
    for (const name of this.names) {
      const g = this.model.grads[name];
      if (name === EMB.word) {
        // The word table steps sparsely (the rows the batches used: torch's SparseAdam semantics), as the
        // bag-of-words tower's does: a 30k-400k-row table is otherwise read and written whole at every step.
        const rows = this.model.touchedWordRows();
        const compact = new Float32Array(rows.length * H);
        for (let i = 0; i < rows.length; i++) {
          for (let j = 0; j < H; j++) compact[i * H + j] = g[rows[i] * H + j] * scale;
        }
        if (rows.length > 0) this.opts.get(name)!.stepRows(rows, compact, lrFactor);
        continue;
      }
      if (scale !== 1) for (let i = 0; i < g.length; i++) g[i] *= scale;
      this.opts.get(name)!.step(g, lrFactor);
    }
    this.model.zeroGrads();
    this.pending = 0;
  }

  parameters(): Record<string, Floats> {
    return Object.fromEntries(this.names.map((n) => [n, this.model.weights[n]]));
  }

  /**
   * The trainable weights, their AdamW moments (`{name}.m`, `{name}.v`, float32) and step counts, plus the
   * gradients of micro-batches not yet applied (`{name}.grad`, step count `accumulated`).
   */
  exportState(): TowerState {
    const arrays: Record<string, Floats | Int32Array> = {};
    const steps: Record<string, number> = { accumulated: this.pending };
    for (const name of this.names) {
      const opt = this.opts.get(name)!;
      arrays[name] = this.model.weights[name].slice();
      if (name === EMB.word) Object.assign(arrays, sparseMomentArrays(opt, this.dim, name));
      else {
        const o = opt.exportState();
        arrays[`${name}.m`] = o.m;
        arrays[`${name}.v`] = o.v;
      }
      steps[name] = opt.t;
      if (this.pending > 0) arrays[`${name}.grad`] = this.model.grads[name].slice();
    }
    if (this.pending > 0) arrays['word.touched'] = this.model.touchedWordRows();
    return { arrays, steps };
  }

  importState(s: TowerState): void {
    const tower = this.describe();
    const pending = stateStep(s, 'accumulated', tower);
    for (const name of this.names) {
      const w = this.model.weights[name];
      const Ctor = w instanceof Float64Array ? Float64Array : Float32Array;
      w.set(stateArray<Floats>(s, name, Ctor, w.length, tower));
      const opt = this.opts.get(name)!;
      if (name === EMB.word) {
        opt.importState({ t: stateStep(s, name, tower), m: new Float32Array(w.length), v: new Float32Array(w.length) });
        restoreSparseMoments(opt, this.dim, s, name, tower);
      } else {
        opt.importState({
          t: stateStep(s, name, tower),
          m: stateArray(s, `${name}.m`, Float32Array, w.length, tower),
          v: stateArray(s, `${name}.v`, Float32Array, w.length, tower),
        });
      }
      const g = this.model.grads[name];
      if (pending > 0) g.set(stateArray<Floats>(s, `${name}.grad`, Ctor, g.length, tower));
    }
    if (pending === 0) this.model.zeroGrads();
    else this.model.markWordRows(stateArray(s, 'word.touched', Int32Array, null, tower));
    for (const key of Object.keys(s.arrays)) {
      const base = key.replace(/\.(m|v|grad|rows)$/, '');
      if (!this.names.includes(base) && key !== 'word.touched') throw new LibvqError('BAD_FILE', `${tower} state: has ${key}, which this tower does not train (trainLayers ${this.trainLayers})`);
    }
    this.pending = pending;
  }

  /** Writes the tower's current weights as a model directory (model.onnx, model.safetensors, config.json, tokenizer). */
  async save(dir: string): Promise<void> {
    await writeBertDir(dir, this.source, this.model.weights);
  }
}
