import { LibvqError } from '@libvq/index-core';
import { createRng, gaussian } from '@libvq/index-core/util';
import type { Floats } from '../grad/types.js';
import type { BertConfig } from './bert-config.js';

/** One weight tensor: Hugging Face's name, its shape (Linear weights out x in, as torch stores them), its values. */
export interface BertTensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** Which group it belongs to: the embeddings or encoder layer i (what trainLayers selects). */
  readonly layer: 'embeddings' | number;
  /** Biases and LayerNorm parameters take no weight decay (LibVQ / BERT's recipe). */
  readonly decay: boolean;
}

/** The weights by Hugging Face name (BertModel's state_dict names, without a "bert." prefix). */
export type BertWeights = Record<string, Floats>;

/** Names of the weights of encoder layer i. */
export function layerNames(i: number) {
  const p = `encoder.layer.${i}`;
  return {
    q: `${p}.attention.self.query`,
    k: `${p}.attention.self.key`,
    v: `${p}.attention.self.value`,
    o: `${p}.attention.output.dense`,
    ln1: `${p}.attention.output.LayerNorm`,
    ffnIn: `${p}.intermediate.dense`,
    ffnOut: `${p}.output.dense`,
    ln2: `${p}.output.LayerNorm`,
  };
}

export const EMB = {
  word: 'embeddings.word_embeddings.weight',
  pos: 'embeddings.position_embeddings.weight',
  type: 'embeddings.token_type_embeddings.weight',
  ln: 'embeddings.LayerNorm',
} as const;

/** Every tensor of a BertModel with this config, in state_dict order (the pooler is not used by retrieval and left out). */
export function bertTensorSpecs(c: BertConfig): BertTensorSpec[] {
  const H = c.hidden, I = c.intermediate;
  const specs: BertTensorSpec[] = [
    { name: EMB.word, shape: [c.vocabSize, H], layer: 'embeddings', decay: true },
    { name: EMB.pos, shape: [c.maxPositions, H], layer: 'embeddings', decay: true },
  ];
  if (c.typeVocabSize > 0) specs.push({ name: EMB.type, shape: [c.typeVocabSize, H], layer: 'embeddings', decay: true });
  const ln = (p: string, layer: 'embeddings' | number) => specs.push(
    { name: `${p}.weight`, shape: [H], layer, decay: false },
    { name: `${p}.bias`, shape: [H], layer, decay: false },
  );
  const linear = (p: string, out: number, inp: number, layer: number) => specs.push(
    { name: `${p}.weight`, shape: [out, inp], layer, decay: true },
    { name: `${p}.bias`, shape: [out], layer, decay: false },
  );
  ln(EMB.ln, 'embeddings');
  for (let i = 0; i < c.layers; i++) {
    const n = layerNames(i);
    linear(n.q, H, H, i);
    linear(n.k, H, H, i);
    linear(n.v, H, H, i);
    linear(n.o, H, H, i);
    ln(n.ln1, i);
    linear(n.ffnIn, I, H, i);
    linear(n.ffnOut, H, I, i);
    ln(n.ln2, i);
  }
  return specs;
}

export function tensorSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Checks that `w` holds every tensor of the config with its size (errors name the tensor and `where`). */
export function checkBertWeights(c: BertConfig, w: BertWeights, where: string): void {
  for (const s of bertTensorSpecs(c)) {
    const a = w[s.name];
    if (!a) throw new LibvqError('BAD_FILE', `${where}: weight ${s.name} (${s.shape.join('x')}) is missing`);
    if (a.length !== tensorSize(s.shape)) throw new LibvqError('BAD_FILE', `${where}: weight ${s.name} has ${a.length} values, expected ${s.shape.join('x')} = ${tensorSize(s.shape)}`);
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i])) throw new LibvqError('NON_FINITE', `${where}: weight ${s.name}[${i}] is ${a[i]}`);
    }
  }
}

/**
 * BERT's initialisation (normal(0, 0.02) matrices and tables, zero biases, LayerNorm 1 / 0), seeded: a model to
 * train from scratch, or the random model of tests.
 */
export function randomBertWeights(c: BertConfig, seed: number, dtype: 'float32' | 'float64' = 'float32', std = 0.02): BertWeights {
  const rng = createRng(seed);
  const out: BertWeights = {};
  for (const s of bertTensorSpecs(c)) {
    const a = dtype === 'float32' ? new Float32Array(tensorSize(s.shape)) : new Float64Array(tensorSize(s.shape));
    if (s.name.endsWith('LayerNorm.weight')) a.fill(1);
    else if (s.shape.length === 2) for (let i = 0; i < a.length; i++) a[i] = gaussian(rng) * std;
    out[s.name] = a;
  }
  return out;
}
