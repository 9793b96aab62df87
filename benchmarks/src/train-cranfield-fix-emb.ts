/**
 * LibVQ's fix_emb on Cranfield (glove-100): OPQ, then distillation with the query tower only (fixEmb 'doc') against
 * both towers (fixEmb '': query and document EmbeddingBagTowers over glove-100's table, every document re-encoded by the trained document tower
 * and re-added), with codes fixed while training or LibVQ's straight-through codes. Same settings as
 * `pnpm bench cranfield` (train.ts's compareQuantizers), dev queries scored.
 *   node --conditions=source --import tsx benchmarks/src/train-cranfield-fix-emb.ts [--bytes 4] [--epochs 10] [--out bench-out]
 * Writes {out}/train-cranfield-fix-emb.{json,md}.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadGlove100Table } from '@libvq/glove';
import { EmbeddingBagTower, compareQuantizers, tokenRowsOf } from '@libvq/train';
import { markdownTable, writeReportFile } from './report.js';
import { MAX_DOC_LENGTH, arg, loadCranfield } from './train-cranfield.js';

export async function main(argv: string[]): Promise<void> {
  const dataDir = arg(argv, '--data') ?? resolve(fileURLToPath(new URL('../../apps/cli/data/cranfield', import.meta.url)));
  const out = arg(argv, '--out') ?? 'bench-out';
  const bytes = (arg(argv, '--bytes') ?? '4').split(',').map(Number);
  const epochs = Number(arg(argv, '--epochs') ?? 10);
  const t0 = performance.now();
  const maxQ = 64;
  const c = await loadCranfield(dataDir, maxQ);
  const docTokens = tokenRowsOf(c.docTexts.map((t) => c.tok.encode(t, MAX_DOC_LENGTH)));
  const table = await loadGlove100Table();
  const fresh = () => new EmbeddingBagTower(Float32Array.from(table.data), table.dim, { name: 'glove-100-trainable', lrEmbeddings: 1e-3 });
  const rows = await compareQuantizers(
    {
      docs: c.docs, trainQueries: c.trainQ, trainTokens: c.trainTokens, devQueries: c.devQ, devTokens: c.devTokens, devRels: c.dev.rels,
      encoder: c.enc, makeQueryTower: fresh, makeDocTower: fresh, docTokens,
    },
    {
      bytes, epochs, maxQueryLength: maxQ, maxDocLength: MAX_DOC_LENGTH,
      methods: ['opq', 'distill-encoder', 'distill-encoders', 'distill-encoders-nearest'],
      onRow: (r) => console.error(`${r.bytes} B  ${r.method.padEnd(80)} MRR@10 ${r.mrr10.toFixed(3)}  R@100 ${r.recall100.toFixed(3)}  nDCG@10 ${r.ndcg10.toFixed(3)}${r.trainSeconds !== null ? `  ${r.trainSeconds.toFixed(1)} s` : ''}`),
    },
  );
  await c.enc.dispose();
  const seconds = (performance.now() - t0) / 1000;
  const md = [
    `# Cranfield, glove-100, fixEmb 'doc' vs '' (dev queries, ${c.dev.rels.size} judged; ${epochs} epochs; whole-corpus KL, tau auto)`,
    '',
    markdownTable(
      ['bytes', 'method', 'MRR@10', 'R@100', 'nDCG@10', 'train s'],
      rows.map((r) => [r.bytes, r.method, r.mrr10, r.recall100, r.ndcg10, r.trainSeconds === null ? '' : r.trainSeconds.toFixed(1)]),
    ),
    '',
    `total ${seconds.toFixed(0)} s on this machine (single process)`,
  ].join('\n');
  writeReportFile(join(out, 'train-cranfield-fix-emb.json'), JSON.stringify({ dataDir, epochs, seconds, rows }, null, 2) + '\n');
  writeReportFile(join(out, 'train-cranfield-fix-emb.md'), md + '\n');
  console.log(md);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
