import { LibvqError } from '@libvq/index-core';
import { invalidArgument } from '@libvq/index-core/util';
import { checkTokenBatch } from '@libvq/encoder/model';
import type { TokenBatch } from '@libvq/encoder';
import type { Floats } from '../grad/types.js';
import { checkBertConfig, type BertConfig } from './bert-config.js';
import { EMB, bertTensorSpecs, checkBertWeights, layerNames, type BertWeights } from './bert-weights.js';
import { denseFloat32, denseFloat64, type Dense } from './dense.js';
import { geluBackward, geluForward } from './gelu.js';
import {
  attentionBackward, attentionForward, layerNormBackward, layerNormForward, linearBackward, linearForward,
  type AttentionShape, type LayerNormSaved,
} from './layers.js';

/** What one encoder layer's forward keeps for its backward. */
interface LayerSaved {
  x: Floats; q: Floats; k: Floats; v: Floats; p: Floats; ctx: Floats; ln1: LayerNormSaved;
  h1: Floats; u: Floats; g: Floats; cdf: Floats; ln2: LayerNormSaved;
}

interface ForwardSaved {
  batch: TokenBatch;
  shape: AttentionShape;
  emb: LayerNormSaved;
  layers: LayerSaved[];
  /** Last hidden state (T x H) and the pooled, pre-normalisation vectors (B x H) with their norms. */
  last: Floats;
  pooled: Float64Array;
  norms: Float64Array | null;
}

/**
 * A BERT encoder in TypeScript with its backward pass: token + position + segment embeddings and LayerNorm,
 * `layers` post-LN blocks (multi-head self-attention with the padding mask, residual, LayerNorm; erf-GELU
 * feed-forward, residual, LayerNorm), CLS or mean pooling, optional L2 normalisation. The same code runs in
 * float32 (training: matrix products on the WebAssembly SIMD kernel) or float64 (the gradient checks).
 * Gradients accumulate in `grads` for the weights named `trainable` until zeroGrads().
 */
export class BertModel {
  readonly config: BertConfig;
  readonly weights: BertWeights;
  readonly grads: Record<string, Floats> = {};
  private readonly dense: Dense;
  private saved: ForwardSaved | null = null;
  /** Word-table rows with a gradient since zeroGrads() (flag per row, and the list): the table is mostly untouched. */
  private readonly wordTouched: Uint8Array;
  private wordRows: number[] = [];

  /**
   * `threads`: threads of the float32 matrix products (the calling thread plus index threads; the same bytes for
   * any value). The rest of a step (attention, LayerNorm, GELU) stays on the calling thread.
   */
  constructor(config: BertConfig, weights: BertWeights, trainable: ReadonlySet<string> | 'all' = 'all', opts: { threads?: number } = {}) {
    this.config = checkBertConfig(config);
    checkBertWeights(config, weights, 'BertModel');
    const types = new Set(Object.values(weights).map((a) => a.constructor));
    if (types.size !== 1) throw invalidArgument('BertModel weights', 'arrays of one type (all Float32Array or all Float64Array)', [...types].map((t) => t.name).join(', '));
    this.weights = weights;
    this.dense = weights[EMB.word] instanceof Float64Array ? denseFloat64 : denseFloat32(opts.threads ?? 1);
    for (const s of bertTensorSpecs(config)) {
      if (trainable === 'all' || trainable.has(s.name)) this.grads[s.name] = this.dense.alloc(weights[s.name].length);
    }
    this.wordTouched = new Uint8Array(this.grads[EMB.word] ? config.vocabSize : 0);
  }

  get dtype(): 'float32' | 'float64' {
    return this.dense.dtype;
  }

  zeroGrads(): void {
    const H = this.config.hidden;
    for (const [name, g] of Object.entries(this.grads)) {
      if (name !== EMB.word) g.fill(0);
    }
    const gw = this.grads[EMB.word];
    if (gw) for (const r of this.wordRows) gw.fill(0, r * H, (r + 1) * H);
    for (const r of this.wordRows) this.wordTouched[r] = 0;
    this.wordRows = [];
  }

  /** Marks word-table rows as holding gradient (a resumed state's pending micro-batches). */
  markWordRows(rows: ArrayLike<number>): void {
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (this.wordTouched.length > 0 && !this.wordTouched[r]) {
        this.wordTouched[r] = 1;
        this.wordRows.push(r);
      }
    }
  }

  /** The word-table rows whose gradient may be non-zero (since zeroGrads), ascending. */
  touchedWordRows(): Int32Array {
    return Int32Array.from(this.wordRows).sort();
  }

  private w(name: string): Floats {
    return this.weights[name];
  }

  private g(name: string): Floats | null {
    return this.grads[name] ?? null;
  }

  /** Token states after the embeddings (T x H): word + position + segment rows. */
  private embed(batch: TokenBatch): Floats {
    const { vocabSize, maxPositions, typeVocabSize, hidden: H } = this.config;
    const { batchSize: B, seqLength: L, inputIds, tokenTypeIds } = batch;
    if (L > maxPositions) throw invalidArgument('batch seqLength', `at most the model's ${maxPositions} positions`, L);
    const word = this.w(EMB.word), pos = this.w(EMB.pos), type = typeVocabSize > 0 ? this.w(EMB.type) : null;
    const x = this.dense.alloc(B * L * H);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < L; t++) {
        const r = b * L + t;
        const id = inputIds[r];
        if (!(id >= 0 && id < vocabSize)) throw invalidArgument(`inputIds[${b}][${t}]`, `a token id in [0, ${vocabSize})`, id);
        const tt = tokenTypeIds ? tokenTypeIds[r] : 0;
        if (!(tt >= 0 && tt < Math.max(typeVocabSize, 1))) throw invalidArgument(`tokenTypeIds[${b}][${t}]`, `a segment id in [0, ${Math.max(typeVocabSize, 1)})`, tt);
        const o = r * H;
        for (let j = 0; j < H; j++) x[o + j] = word[id * H + j] + pos[t * H + j] + (type ? type[tt * H + j] : 0);
      }
    }
    return x;
  }

  /** Last hidden state (T x H, T = batchSize x seqLength; padded positions included, as the ONNX graph gives them). */
  hidden(batch: TokenBatch): Floats {
    return this.run(batch, false).last;
  }

  /** The pooled (and, per the config, normalised) embeddings, B x H in float64; keeps what backward needs. */
  forward(batch: TokenBatch): Float64Array {
    const s = this.run(batch, true);
    this.saved = s;
    return outputOf(s, this.config.hidden);
  }

  /** Inference: forward without keeping anything. */
  embed64(batch: TokenBatch): Float64Array {
    return outputOf(this.run(batch, false), this.config.hidden);
  }

  private run(batch: TokenBatch, keep: boolean): ForwardSaved {
    checkTokenBatch(batch);
    const c = this.config;
    const { batchSize: B, seqLength: L, attentionMask: mask } = batch;
    const H = c.hidden, I = c.intermediate, T = B * L, d = this.dense;
    const shape: AttentionShape = { B, L, H, heads: c.heads };
    const e = layerNormForward(d, this.embed(batch), T, H, this.w(`${EMB.ln}.weight`), this.w(`${EMB.ln}.bias`), c.layerNormEps);
    let x = e.y;
    const layers: LayerSaved[] = [];
    for (let i = 0; i < c.layers; i++) {
      const n = layerNames(i);
      const lin = (inp: Floats, p: string, inDim: number, outDim: number) => linearForward(d, inp, T, this.w(`${p}.weight`), this.w(`${p}.bias`), inDim, outDim);
      const q = lin(x, n.q, H, H), k = lin(x, n.k, H, H), v = lin(x, n.v, H, H);
      const { ctx, p } = attentionForward(d, q, k, v, mask, shape);
      const a = lin(ctx, n.o, H, H);
      for (let j = 0; j < a.length; j++) a[j] += x[j];
      const ln1 = layerNormForward(d, a, T, H, this.w(`${n.ln1}.weight`), this.w(`${n.ln1}.bias`), c.layerNormEps);
      const u = lin(ln1.y, n.ffnIn, H, I);
      const g = d.alloc(u.length);
      const cdf = d.alloc(u.length);
      geluForward(u, g, cdf, d.dtype === 'float64');
      const f = lin(g, n.ffnOut, I, H);
      for (let j = 0; j < f.length; j++) f[j] += ln1.y[j];
      const ln2 = layerNormForward(d, f, T, H, this.w(`${n.ln2}.weight`), this.w(`${n.ln2}.bias`), c.layerNormEps);
      if (keep) layers.push({ x, q, k, v, p, ctx, ln1: ln1.saved, h1: ln1.y, u, g, cdf, ln2: ln2.saved });
      x = ln2.y;
    }
    const pooled = this.pool(x, batch);
    let norms: Float64Array | null = null;
    if (c.normalize) {
      norms = new Float64Array(B);
      for (let b = 0; b < B; b++) {
        let s2 = 0;
        for (let j = 0; j < H; j++) s2 += pooled[b * H + j] ** 2;
        norms[b] = Math.max(Math.sqrt(s2), 1e-12);
      }
    }
    return { batch, shape, emb: e.saved, layers, last: x, pooled, norms };
  }

  private pool(x: Floats, batch: TokenBatch): Float64Array {
    const { batchSize: B, seqLength: L, attentionMask: mask } = batch;
    const H = this.config.hidden;
    const out = new Float64Array(B * H);
    for (let b = 0; b < B; b++) {
      if (this.config.pooling === 'cls') {
        for (let j = 0; j < H; j++) out[b * H + j] = x[b * L * H + j];
        continue;
      }
      let n = 0;
      for (let t = 0; t < L; t++) {
        if (mask[b * L + t] === 0) continue;
        n++;
        for (let j = 0; j < H; j++) out[b * H + j] += x[(b * L + t) * H + j];
      }
      const inv = 1 / Math.max(n, 1);
      for (let j = 0; j < H; j++) out[b * H + j] *= inv;
    }
    return out;
  }

  /**
   * Backward of the last forward(): `dOut` = dLoss/d(output) (B x H). Adds every trainable weight's gradient into
   * `grads`. Frozen layers below the lowest trainable one are not differentiated at all.
   */
  backward(dOut: Float64Array): void {
    const s = this.saved;
    if (!s) throw new LibvqError('INVALID_ARGUMENT', 'BertModel.backward: no forward pass to differentiate (call forward first)');
    this.saved = null;
    const c = this.config;
    const { B, L, H } = s.shape;
    const I = c.intermediate, T = B * L, d = this.dense;
    if (dOut.length !== B * H) throw new LibvqError('DIMENSION_MISMATCH', `BertModel.backward: gradient has ${dOut.length} values, expected ${B}x${H}`);
    let dPooled = dOut;
    if (s.norms) {
      // out = y / ‖y‖  →  dy = (g − out (out · g)) / ‖y‖
      dPooled = new Float64Array(B * H);
      for (let b = 0; b < B; b++) {
        const n = s.norms[b];
        let dot = 0;
        for (let j = 0; j < H; j++) dot += (s.pooled[b * H + j] / n) * dOut[b * H + j];
        for (let j = 0; j < H; j++) dPooled[b * H + j] = (dOut[b * H + j] - (s.pooled[b * H + j] / n) * dot) / n;
      }
    }
    let dx = this.unpool(dPooled, s.batch);
    const lowest = this.lowestTrainable();
    for (let i = c.layers - 1; i >= 0 && i >= lowest; i--) {
      const n = layerNames(i);
      const l = s.layers[i];
      const need = i > lowest; // below the lowest trainable layer no gradient is needed
      const df = layerNormBackward(d, dx, l.ln2, T, H, this.w(`${n.ln2}.weight`), this.g(`${n.ln2}.weight`), this.g(`${n.ln2}.bias`));
      const dg = linearBackward(d, df, l.g, T, this.w(`${n.ffnOut}.weight`), I, H, this.g(`${n.ffnOut}.weight`), this.g(`${n.ffnOut}.bias`))!;
      const du = d.alloc(dg.length);
      geluBackward(l.u, l.cdf, dg, du);
      const dh1 = linearBackward(d, du, l.h1, T, this.w(`${n.ffnIn}.weight`), H, I, this.g(`${n.ffnIn}.weight`), this.g(`${n.ffnIn}.bias`))!;
      for (let j = 0; j < dh1.length; j++) dh1[j] += df[j];
      const da = layerNormBackward(d, dh1, l.ln1, T, H, this.w(`${n.ln1}.weight`), this.g(`${n.ln1}.weight`), this.g(`${n.ln1}.bias`));
      const dctx = linearBackward(d, da, l.ctx, T, this.w(`${n.o}.weight`), H, H, this.g(`${n.o}.weight`), this.g(`${n.o}.bias`))!;
      const { dq, dk, dv } = attentionBackward(d, dctx, l.q, l.k, l.v, l.p, s.shape);
      const dIn = (dz: Floats, p: string) => linearBackward(d, dz, l.x, T, this.w(`${p}.weight`), H, H, this.g(`${p}.weight`), this.g(`${p}.bias`), need || lowest < 0);
      const dxq = dIn(dq, n.q), dxk = dIn(dk, n.k), dxv = dIn(dv, n.v);
      if (!(need || lowest < 0)) return;
      const next = da;
      for (let j = 0; j < next.length; j++) next[j] += dxq![j] + dxk![j] + dxv![j];
      dx = next;
    }
    if (lowest >= 0) return;
    const de = layerNormBackward(d, dx, s.emb, T, H, this.w(`${EMB.ln}.weight`), this.g(`${EMB.ln}.weight`), this.g(`${EMB.ln}.bias`));
    this.embedBackward(de, s.batch);
  }

  /** -1 when an embedding weight trains (everything is differentiated), else the lowest layer with a trainable weight. */
  private lowestTrainable(): number {
    let lowest = this.config.layers;
    for (const s of bertTensorSpecs(this.config)) {
      if (!this.grads[s.name]) continue;
      if (s.layer === 'embeddings') return -1;
      lowest = Math.min(lowest, s.layer);
    }
    return lowest;
  }

  private unpool(dPooled: Float64Array, batch: TokenBatch): Floats {
    const { batchSize: B, seqLength: L, attentionMask: mask } = batch;
    const H = this.config.hidden;
    const dx = this.dense.alloc(B * L * H);
    for (let b = 0; b < B; b++) {
      if (this.config.pooling === 'cls') {
        for (let j = 0; j < H; j++) dx[b * L * H + j] = dPooled[b * H + j];
        continue;
      }
      let n = 0;
      for (let t = 0; t < L; t++) if (mask[b * L + t] !== 0) n++;
      const inv = 1 / Math.max(n, 1);
      for (let t = 0; t < L; t++) {
        if (mask[b * L + t] === 0) continue;
        for (let j = 0; j < H; j++) dx[(b * L + t) * H + j] = dPooled[b * H + j] * inv;
      }
    }
    return dx;
  }

  private embedBackward(de: Floats, batch: TokenBatch): void {
    const H = this.config.hidden;
    const { batchSize: B, seqLength: L, inputIds, tokenTypeIds } = batch;
    const gw = this.g(EMB.word), gp = this.g(EMB.pos), gt = this.config.typeVocabSize > 0 ? this.g(EMB.type) : null;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < L; t++) {
        const r = b * L + t;
        const o = r * H;
        const id = inputIds[r], tt = tokenTypeIds ? tokenTypeIds[r] : 0;
        if (gw && !this.wordTouched[id]) {
          this.wordTouched[id] = 1;
          this.wordRows.push(id);
        }
        for (let j = 0; j < H; j++) {
          const g = de[o + j];
          if (gw) gw[id * H + j] += g;
          if (gp) gp[t * H + j] += g;
          if (gt) gt[tt * H + j] += g;
        }
      }
    }
  }
}

function outputOf(s: ForwardSaved, H: number): Float64Array {
  if (!s.norms) return s.pooled.slice();
  const out = new Float64Array(s.pooled.length);
  for (let i = 0; i < out.length; i++) out[i] = s.pooled[i] / s.norms[Math.floor(i / H)];
  return out;
}
