/**
 * Cranfield training benchmark (issue 6): glove-100 embeddings, dev queries judged, at 4 and 10 bytes per
 * vector (PQ / OPQ without IVF). Rows: dense, unsupervised PQ and OPQ, and learned OPQ indexes — distill
 * index-only with virtual labels (both write-backs), distill index + query encoder, contrastive index + query
 * encoder. Training uses the train queries plus one pseudo-query per document (its title), never dev queries.
 * Writes bench-out/train-cranfield.{json,md}.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeTexts } from '@libvq/encoder';
import { evaluateRanking, type OffsetRels } from '@libvq/dataset';
import { loadGlove100Encoder } from '@libvq/glove';
import { IndexFlat, type Matrix } from '@libvq/index-core';
import { GloveTower, LearnableIndex, LearnableIndexWithEncoder, type FitReport, type QueryTokens } from '@libvq/train';
import { markdownTable, writeAtomic } from './report.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Row {
  bytes: number;
  method: string;
  mrr10: number;
  r100: number;
  ndcg10: number;
  trainQps: number | null;
  trainSeconds: number | null;
  rotationError: number | null;
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function tsv(file: string): string[][] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

function concat(a: Matrix, b: Matrix): Matrix {
  const data = new Float32Array((a.rows + b.rows) * a.dim);
  data.set(a.data);
  data.set(b.data, a.data.length);
  return { rows: a.rows + b.rows, dim: a.dim, data };
}

function tokenRows(seqs: Int32Array[]): QueryTokens {
  const offsets = new Int32Array(seqs.length + 1);
  for (let i = 0; i < seqs.length; i++) offsets[i + 1] = offsets[i] + seqs[i].length;
  const values = new Int32Array(offsets[seqs.length]);
  seqs.forEach((s, i) => values.set(s, offsets[i]));
  return { rows: seqs.length, offsets, values };
}

export async function main(argv: string[]): Promise<void> {
  const dataDir = arg(argv, '--data') ?? join(repoRoot, '..', 'shared', 'data', 'cranfield');
  const out = arg(argv, '--out') ?? 'bench-out';
  const bytesList = (arg(argv, '--bytes') ?? '4,10').split(',').map(Number);
  const epochs = Number(arg(argv, '--epochs') ?? 10);
  const t0 = performance.now();

  const coll = tsv(join(dataDir, 'collection.tsv'));
  const docRow = new Map(coll.map((r, i) => [r[0], i]));
  const split = (name: string) => {
    const q = tsv(join(dataDir, `${name}-queries.tsv`));
    const qRow = new Map(q.map((r, i) => [r[0], i]));
    const rels: OffsetRels = new Map();
    for (const [qid, did, g] of tsv(join(dataDir, `${name}-rels.tsv`))) {
      const qi = qRow.get(qid);
      const di = docRow.get(did);
      if (qi === undefined || di === undefined) continue; // judgments of unknown ids are not scored
      if (!rels.has(qi)) rels.set(qi, new Map());
      rels.get(qi)!.set(di, Number(g ?? 1));
    }
    return { texts: q.map((r) => r.slice(1).join(' ')), rels };
  };
  const train = split('train');
  const dev = split('dev');

  console.error('encoding Cranfield with glove-100 (ONNX)...');
  const enc = await loadGlove100Encoder();
  const tok = enc.tokenizer!;
  const maxQ = 64;
  const docs = await encodeTexts({ encoder: enc, tokenizer: tok, texts: coll.map((r) => r.slice(1).join(' ')), maxLength: 4096 });
  const titleTexts = coll.map((r) => r[1]);
  const trainTexts = [...train.texts, ...titleTexts];
  const trainQ = await encodeTexts({ encoder: enc, tokenizer: tok, texts: trainTexts, isQuery: true, maxLength: maxQ });
  const devQ = await encodeTexts({ encoder: enc, tokenizer: tok, texts: dev.texts, isQuery: true, maxLength: maxQ });
  const trainTokens = tokenRows(trainTexts.map((t) => tok.encode(t, maxQ)));
  const devTokens = tokenRows(dev.texts.map((t) => tok.encode(t, maxQ)));
  // Labels for contrastive training: the train judgments, and each title pseudo-query's own document.
  const labels = new Map<number, number[]>();
  for (const [q, ds] of train.rels) labels.set(q, [...ds.keys()]);
  for (let i = 0; i < coll.length; i++) labels.set(train.texts.length + i, [i]);
  const baseTower = await GloveTower.fromGlove100();
  const freshTower = () => new GloveTower(Float32Array.from(baseTower.table), baseTower.dim, { lrEmbeddings: 1e-3 });

  const k = 100;
  const rows: Row[] = [];
  const record = (bytes: number, method: string, labelsOut: BigInt64Array, fit: FitReport | null, rot: number | null) => {
    const e = evaluateRanking({ labels: labelsOut, k }, dev.rels, { mrr: [10], recall: [100], ndcg: [10] });
    const row: Row = { bytes, method, mrr10: e.mrr[10], r100: e.recall[100], ndcg10: e.ndcg[10], trainQps: fit ? fit.queriesPerSecond : null, trainSeconds: fit ? fit.seconds : null, rotationError: rot };
    rows.push(row);
    console.error(`${bytes || '-'} B  ${method.padEnd(44)} MRR@10 ${row.mrr10.toFixed(3)}  R@100 ${row.r100.toFixed(3)}  nDCG@10 ${row.ndcg10.toFixed(3)}${fit ? `  ${fit.queriesPerSecond.toFixed(0)} q/s, ${fit.seconds.toFixed(1)} s` : ''}${rot !== null ? `  |RtR-I| ${rot.toExponential(1)}` : ''}`);
  };

  const flat = new IndexFlat(docs.dim, 'ip');
  flat.add(docs);
  record(0, 'dense (glove-100, exact)', flat.search(devQ, { k }).labels, null, null);

  // The learned rows share these settings (the distillation that held on Cranfield: whole-corpus KL, tau 0.05,
  // each document's codes fixed, keep write-back).
  const common = { docEmbeddings: docs, epochs, batchSize: 32, temperature: 0.05, docScope: 'corpus' as const, lr: { codebooks: 1e-3, rotation: 1e-4 }, seed: 3 };
  for (const M of bytesList) {
    const create = (method: 'pq' | 'opq') => LearnableIndex.create({ docEmbeddings: docs, indexMethod: method, subvectorNum: M, subvectorBits: 8, distMode: 'ip', seed: 1 });
    record(M, `PQ${M}x8`, create('pq').search(devQ, { k }).labels, null, null);
    record(M, `OPQ${M},PQ${M}x8`, create('opq').search(devQ, { k }).labels, null, null);
    for (const writeBack of ['keep', 'reencode'] as const) {
      const li = create('opq');
      const rep = li.fit({ ...common, queryEmbeddings: trainQ, relData: null, lossMethod: 'distill', writeBack });
      record(M, `distill index-only (virtual labels, ${writeBack})`, li.search(devQ, { k }).labels, rep, li.rotationError());
    }
    for (const loss of ['distill', 'contras'] as const) {
      const tower = freshTower();
      const lie = LearnableIndexWithEncoder.create({ encoder: enc, queryTower: tower, docEmbeddings: docs, indexMethod: 'opq', subvectorNum: M, subvectorBits: 8, distMode: 'ip', seed: 1 });
      const rep = await lie.fit({
        ...common, queryEmbeddings: trainQ, queryTokens: trainTokens, maxQueryLength: maxQ, fixEmb: 'doc', lossMethod: loss,
        relData: loss === 'distill' ? null : labels,
      });
      const q = await lie.encodeTokens(devTokens, { maxQueryLength: maxQ });
      record(M, `${loss} index + query encoder${loss === 'distill' ? ' (virtual labels)' : ' (train + title labels)'}`, lie.search(q, { k }).labels, rep, lie.learnable.rotationError());
    }
  }
  await enc.dispose();
  const seconds = (performance.now() - t0) / 1000;
  const fmt = (v: number | null, d = 3) => (v === null ? '' : v.toFixed(d));
  const md = [
    `# Cranfield, glove-100, dev queries (${dev.rels.size} judged); training: ${train.texts.length} train queries + ${coll.length} title pseudo-queries, ${epochs} epochs`,
    '',
    markdownTable(
      ['bytes', 'method', 'MRR@10', 'R@100', 'nDCG@10', 'train q/s', 'train s', '‖RᵀR−I‖∞'],
      rows.map((r) => [r.bytes || 'float', r.method, r.mrr10, r.r100, r.ndcg10, fmt(r.trainQps, 0), fmt(r.trainSeconds, 1), r.rotationError === null ? '' : r.rotationError.toExponential(1)]),
    ),
    '',
    `total ${seconds.toFixed(0)} s on this machine (single process)`,
  ].join('\n');
  writeAtomic(join(out, 'train-cranfield.json'), JSON.stringify({ dataDir, epochs, seconds, rows }, null, 2) + '\n');
  writeAtomic(join(out, 'train-cranfield.md'), md + '\n');
  console.log(md);
}
