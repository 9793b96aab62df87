// Bring your own encoder: (a) an ONNX model directory, (b) a BaseEncoder subclass. Either one encodes the
// preprocessed files (inference) and trains with the index (a linear head over the frozen encoder).
import { join } from 'node:path';
import { readTokens } from '@libvq/dataset';
import { BaseEncoder, OnnxEncoder, inference, type TokenBatch } from '@libvq/encoder';
import { ensureGlove100Model } from '@libvq/glove';
import type { Matrix } from '@libvq/index-core';
import { LearnableIndexWithEncoder } from '@libvq/train';
import { PRE, WORK } from './paths.js';

// (a) Any directory with tokenizer.json, config.json and model.onnx (a BERT exported by optimum, ...). Here: the
// directory glove-100 is generated into. Tokenize with its tokenizer.json when preprocessing your data.
const onnx = await OnnxEncoder.fromPretrained(await ensureGlove100Model(), { pooling: 'none' });
const r = await inference({ dataDir: PRE, prefix: 'dev-queries', encoder: onnx, outputDir: join(WORK, 'onnx'), returnVecs: true });
console.log(`ONNX model: dev-queries ${r.rows} x ${r.dim}`);
await onnx.dispose();

// (b) A BaseEncoder subclass: hashed bag of words, L2-normalised.
class HashingEncoder extends BaseEncoder {
  readonly dim = 64;
  async queryEmb(batch: TokenBatch): Promise<Matrix> {
    return this.embed(batch);
  }
  async docEmb(batch: TokenBatch): Promise<Matrix> {
    return this.embed(batch);
  }
  override normalized(): boolean {
    return true;
  }
  private embed({ batchSize: B, seqLength: L, inputIds, attentionMask }: TokenBatch): Matrix {
    const d = this.dim;
    const data = new Float32Array(B * d);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < L; t++) if (attentionMask[b * L + t]) data[b * d + ((Number(inputIds[b * L + t]) * 2654435761) >>> 0) % d] += 1;
      let n = 0;
      for (let j = 0; j < d; j++) n += data[b * d + j] ** 2;
      for (let j = 0; j < d && n > 0; j++) data[b * d + j] /= Math.sqrt(n);
    }
    return { rows: B, dim: d, data };
  }
}
const mine = new HashingEncoder();
const docs = (await inference({ dataDir: PRE, prefix: 'docs', encoder: mine, outputDir: join(WORK, 'hashing'), returnVecs: true })).vectors!;
// Not a TrainableTower, so the query side trains as a linear head over the frozen encoder (HeadTower).
const model = LearnableIndexWithEncoder.create({ encoder: mine, docEmbeddings: docs, indexMethod: 'pq', subvectorNum: 8, subvectorBits: 8, distMode: 'ip', seed: 1 });
const rep = await model.fit({ docEmbeddings: docs, queryTokens: await readTokens(PRE, 'train-queries'), relData: null, lossMethod: 'distill', docScope: 'corpus', temperature: 'auto', epochs: 1, seed: 3 });
console.log(`BaseEncoder subclass: ${docs.rows} x ${docs.dim} documents, ${rep.steps} training steps`);
