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
import type { OffsetRels } from '@libvq/dataset';
import { loadGlove100Encoder, loadGlove100Table } from '@libvq/glove';
import { EmbeddingBagTower, compareQuantizers, tokenRowsOf } from '@libvq/train';
import { planTraining } from '@libvq/train/fit';
import { markdownTable, writeReportFile } from './report.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function tsv(file: string): string[][] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

/** Cranfield encoded with glove-100: documents, train queries + title pseudo-queries, dev queries, their tokens and labels. */
export async function loadCranfield(dataDir: string, maxQ: number) {
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
  const docTexts = coll.map((r) => r.slice(1).join(' '));
  const docs = await encodeTexts({ encoder: enc, tokenizer: tok, texts: docTexts, maxLength: MAX_DOC_LENGTH });
  const titleTexts = coll.map((r) => r[1]);
  const trainTexts = [...train.texts, ...titleTexts];
  const trainQ = await encodeTexts({ encoder: enc, tokenizer: tok, texts: trainTexts, isQuery: true, maxLength: maxQ });
  const devQ = await encodeTexts({ encoder: enc, tokenizer: tok, texts: dev.texts, isQuery: true, maxLength: maxQ });
  const trainTokens = tokenRowsOf(trainTexts.map((t) => tok.encode(t, maxQ)));
  const devTokens = tokenRowsOf(dev.texts.map((t) => tok.encode(t, maxQ)));
  // Labels for contrastive training: the train judgments, and each title pseudo-query's own document.
  const labels = new Map<number, number[]>();
  for (const [q, ds] of train.rels) labels.set(q, [...ds.keys()]);
  for (let i = 0; i < coll.length; i++) labels.set(train.texts.length + i, [i]);
  return { coll, train, dev, enc, tok, docTexts, docs, trainQ, devQ, trainTokens, devTokens, labels };
}

/** Tokens per document the document embeddings are encoded with (every Cranfield abstract fits). */
export const MAX_DOC_LENGTH = 4096;

export async function main(argv: string[]): Promise<void> {
  const dataDir = arg(argv, '--data') ?? join(repoRoot, 'apps', 'cli', 'data', 'cranfield');
  const out = arg(argv, '--out') ?? 'bench-out';
  const bytesList = (arg(argv, '--bytes') ?? '4,10').split(',').map(Number);
  const epochs = Number(arg(argv, '--epochs') ?? 10);
  const scope = arg(argv, '--scope') as 'corpus' | 'batch' | undefined;
  const t0 = performance.now();
  const maxQ = 64;
  const { coll, train, dev, enc, docs, trainQ, devQ, trainTokens, devTokens, labels } = await loadCranfield(dataDir, maxQ);
  // each trained row starts from the model's own word vectors (the glove-100 ONNX initializer)
  const table = await loadGlove100Table();
  const freshTower = () => new EmbeddingBagTower(Float32Array.from(table.data), table.dim, { name: 'glove-100-trainable', lrEmbeddings: 1e-3 });
  const plan = planTraining({ documents: docs.rows, trainingQueries: trainQ.rows, epochs, docScope: scope });
  console.error(`plan: ${plan.reasons.join('; ')}`);

  const rows = await compareQuantizers(
    { docs, trainQueries: trainQ, trainTokens, devQueries: devQ, devTokens, devRels: dev.rels, encoder: enc, makeQueryTower: freshTower, contrasLabels: labels },
    {
      bytes: bytesList, epochs, plan, maxQueryLength: maxQ,
      methods: ['pq', 'opq', 'distill-index', 'distill-index-reencode', 'distill-encoder', 'contras-encoder'],
      onRow: (r) => console.error(`${r.bytes} B  ${r.method.padEnd(46)} MRR@10 ${r.mrr10.toFixed(3)}  R@100 ${r.recall100.toFixed(3)}  nDCG@10 ${r.ndcg10.toFixed(3)}${r.trainQps !== null ? `  ${r.trainQps.toFixed(0)} q/s, ${r.trainSeconds!.toFixed(1)} s` : ''}${r.rotationError !== null ? `  |RtR-I| ${r.rotationError.toExponential(1)}` : ''}`),
    },
  );
  await enc.dispose();
  const seconds = (performance.now() - t0) / 1000;
  const fmt = (v: number | null, d = 3) => (v === null ? '' : v.toFixed(d));
  const md = [
    `# Cranfield, glove-100, dev queries (${dev.rels.size} judged); training: ${train.texts.length} train queries + ${coll.length} title pseudo-queries, ${plan.epochs} epochs, scope ${plan.docScope}` +
      (plan.docScope === 'batch' ? ` (batch ${plan.batchSize}, ${plan.perQueryNegNum} hard negatives)` : ''),
    '',
    markdownTable(
      ['bytes', 'method', 'MRR@10', 'R@100', 'nDCG@10', 'train q/s', 'train s', '‖RᵀR−I‖∞'],
      rows.map((r) => [r.bytes, r.method, r.mrr10, r.recall100, r.ndcg10, fmt(r.trainQps, 0), fmt(r.trainSeconds, 1), r.rotationError === null ? '' : r.rotationError.toExponential(1)]),
    ),
    '',
    `total ${seconds.toFixed(0)} s on this machine (single process)`,
  ].join('\n');
  const name = `train-cranfield${scope ? `-${scope}` : ''}`;
  writeReportFile(join(out, `${name}.json`), JSON.stringify({ dataDir, epochs: plan.epochs, plan, seconds, rows }, null, 2) + '\n');
  writeReportFile(join(out, `${name}.md`), md + '\n');
  console.log(md);
}
