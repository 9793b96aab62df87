/**
 * Training throughput of the transformer tower (issue 15): a 6-layer, 384-wide BERT (MiniLM-L6's shape: 12
 * heads, feed-forward 1536, 30,522-token vocabulary; BERT's random initialisation) on batches of 32-token
 * queries — forward, backward, AdamW step — at 1 and 2 threads, with the process's peak memory; and the
 * model exported as a model directory, whose model.onnx run by onnxruntime is compared with the TypeScript
 * forward on the same batch. Writes bench-out/transformer-throughput.{json,md}.
 *
 *   pnpm bench transformer-throughput [--batch 32] [--steps 6] [--threads 1,2] [--train-layers all]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxEncoder } from '@libvq/encoder';
import { wordLevelTokenizerJson } from '@libvq/encoder/onnx';
import { closeThreadPool } from '@libvq/index-core';
import { TransformerTower, type TrainLayers } from '@libvq/train';
import { loadBertDir, randomBertWeights, writeBertDir, type BertConfig } from '@libvq/train/transformer';
import { arg } from './train-cranfield.js';
import { markdownTable, writeReportFile } from './report.js';

const CONFIG: BertConfig = {
  vocabSize: 30522, hidden: 384, layers: 6, heads: 12, intermediate: 1536, maxPositions: 512, typeVocabSize: 2,
  layerNormEps: 1e-12, pooling: 'mean', normalize: true,
};

function queryBatch(B: number, L: number, seed: number) {
  let s = seed;
  const rnd = (n: number) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % n);
  const inputIds = new Int32Array(B * L);
  const attentionMask = new Uint8Array(B * L).fill(1);
  for (let i = 0; i < B * L; i++) inputIds[i] = 1000 + rnd(CONFIG.vocabSize - 1000);
  return { batchSize: B, seqLength: L, inputIds, attentionMask };
}

export async function main(argv: string[]): Promise<void> {
  const out = arg(argv, '--out') ?? 'bench-out';
  const B = Number(arg(argv, '--batch') ?? 32);
  const steps = Number(arg(argv, '--steps') ?? 6);
  const threadList = (arg(argv, '--threads') ?? '1,2').split(',').map(Number);
  const trainLayers = (arg(argv, '--train-layers') ?? 'all') as TrainLayers;
  const L = 32;
  const dir = await mkdtemp(join(tmpdir(), 'libvq-bert6-'));
  const modelDir = join(dir, 'bert-6x384');
  try {
    // The model directory: libvq's own graph (no source ONNX), and a word-level tokenizer.json (the batches here are
    // token ids already; onnxruntime's encoder wants a tokenizer in the directory).
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(wordLevelTokenizerJson({ words: ['query', 'token'] })));
    const weights = randomBertWeights(CONFIG, 7);
    await writeBertDir(modelDir, { dir, config: CONFIG, weights, onnx: null, hfConfig: {}, verifiedMaxAbs: null }, weights);
    const rows: Array<{ threads: number; qps: number; msPerBatch: number; rssMB: number; heapMB: number }> = [];
    let parity = NaN;
    for (const threads of threadList) {
      const src = await loadBertDir(modelDir, { verify: false });
      const tower = new TransformerTower(src, { trainLayers, threads });
      const grad = Float64Array.from({ length: B * CONFIG.hidden }, (_, i) => 1e-3 * Math.cos(i));
      let peakRss = 0;
      let peakHeap = 0;
      const step = (i: number) => {
        tower.forward(queryBatch(B, L, i));
        tower.backward(grad);
        tower.step();
        const m = process.memoryUsage();
        peakRss = Math.max(peakRss, m.rss);
        peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
      };
      step(0); // warm-up: kernels compiled, optimiser moments allocated
      const t0 = performance.now();
      for (let i = 1; i <= steps; i++) step(i);
      const ms = (performance.now() - t0) / steps;
      rows.push({ threads, qps: (B * 1000) / ms, msPerBatch: ms, rssMB: peakRss / 2 ** 20, heapMB: peakHeap / 2 ** 20 });
      console.error(`${threads} thread(s): ${(B * 1000 / ms).toFixed(1)} queries/s (${ms.toFixed(0)} ms per batch of ${B}), peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB`);
      if (Number.isNaN(parity)) {
        // The exported model.onnx through onnxruntime against the TypeScript forward, on a fresh 32-token batch.
        const enc = await OnnxEncoder.fromPretrained(modelDir);
        const probe = queryBatch(8, L, 99);
        const theirs = (await enc.embed(probe)).data;
        await enc.dispose();
        const fresh = new TransformerTower(await loadBertDir(modelDir, { verify: false }), { trainLayers: 'top-1' });
        const ours = (await fresh.embed(probe)).data;
        parity = 0;
        for (let i = 0; i < ours.length; i++) parity = Math.max(parity, Math.abs(ours[i] - theirs[i]));
        console.error(`exported model.onnx (onnxruntime) vs TypeScript forward: ${parity.toExponential(2)} max abs`);
      }
    }
    await closeThreadPool();
    const md = [
      `# Transformer tower training throughput: BERT ${CONFIG.layers} layers x ${CONFIG.hidden} (${CONFIG.heads} heads, feed-forward ${CONFIG.intermediate}, vocabulary ${CONFIG.vocabSize}), ` +
        `batches of ${B} queries x ${L} tokens, trains ${trainLayers} (forward + backward + AdamW step), ${steps} timed steps after one warm-up`,
      '',
      markdownTable(['threads', 'queries/s', 'ms per batch', 'peak RSS MB', 'peak heap + buffers MB'], rows.map((r) => [r.threads, r.qps.toFixed(1), r.msPerBatch.toFixed(0), r.rssMB.toFixed(0), r.heapMB.toFixed(0)])),
      '',
      `The exported model directory's model.onnx, run by onnxruntime, vs the TypeScript forward on 8 queries of ${L} tokens: max abs difference ${parity.toExponential(2)} (mean pooling, L2-normalised).`,
    ].join('\n');
    writeReportFile(join(out, 'transformer-throughput.json'), JSON.stringify({ config: CONFIG, batch: B, tokens: L, steps, trainLayers, rows, parityMaxAbs: parity }, null, 2) + '\n');
    writeReportFile(join(out, 'transformer-throughput.md'), md + '\n');
    console.log(md);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
