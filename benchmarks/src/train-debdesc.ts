/**
 * Training at scale (issue 13): debdesc (60,229 Debian package descriptions, 54,894 train / 2,000 dev synopsis
 * queries, one relevant document each) encoded with glove-100. Per byte budget, with and without an IVF: dense,
 * unsupervised PQ and OPQ, and learned OPQ — distill with virtual labels, and contrastive on the train judgments —
 * trained with the settings planTraining chooses for this corpus (in-batch + hard negatives), or a forced scope.
 * Learned rows are repeated over seeds (the dev split is not a tuning target: the spread is reported).
 * Writes bench-out/train-debdesc.{json,md}.
 *
 *   pnpm bench debdesc [--data DIR] [--work DIR] [--bytes 4,10,20] [--ivf 1024] [--nprobe 64] [--epochs N]
 *                      [--seeds 3,4,5] [--methods pq,opq,distill-index,contras-index] [--threads N]
 *                      [--opq-niter N] [--opq-train-points N] [--label-search index|exact] [--label-nprobe auto|N]
 *                      [--freeze centroids,rotation,codebooks]
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inference } from '@libvq/encoder';
import { preprocessData, readIdMap, readRelsTable, readVectors, relsPath, relsToOffsets, type OffsetRels } from '@libvq/dataset';
import { loadGlove100Encoder } from '@libvq/glove';
import type { Matrix } from '@libvq/index-core';
import { compareQuantizers, type CompareMethod, type CompareRow, type RelData } from '@libvq/train';
import { describeLabelMining, planTraining } from '@libvq/train/fit';
import { arg } from './train-cranfield.js';
import { markdownTable, writeReportFile } from './report.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Preprocessed + encoded once into `work` (glove-100); later runs read the embeddings back. */
export async function loadEncoded(dataDir: string, work: string): Promise<{ docs: Matrix; train: Matrix; dev: Matrix; devRels: OffsetRels; trainRels: OffsetRels }> {
  const embeddings = (prefix: string) => join(work, `${prefix}.embeddings.arrow`);
  if (!['docs', 'train-queries', 'dev-queries'].every((p) => existsSync(embeddings(p)))) {
    const encoder = await loadGlove100Encoder();
    try {
      console.error(`preprocessing and encoding ${dataDir} into ${work} (glove-100)...`);
      // Descriptions run to a few hundred words; every token counts for a bag of words.
      await preprocessData({ dataDir, outputDir: work, tokenizer: encoder.tokenizer!, maxDocLength: 1024, maxQueryLength: 64 });
      for (const prefix of ['docs', 'train-queries', 'dev-queries']) await inference({ dataDir: work, prefix, encoder, outputDir: work });
    } finally {
      await encoder.dispose();
    }
  }
  const read = async (prefix: string) => (await readVectors(embeddings(prefix))).matrix;
  const docIds = await readIdMap(work, 'docs');
  const rels = async (mode: string) => relsToOffsets(await readRelsTable(relsPath(work, mode)), await readIdMap(work, `${mode}-queries`), docIds, relsPath(work, mode));
  return { docs: await read('docs'), train: await read('train-queries'), dev: await read('dev-queries'), devRels: await rels('dev'), trainRels: await rels('train') };
}

export function positives(rels: OffsetRels): RelData {
  const out: RelData = new Map();
  for (const [q, ds] of rels) {
    const pos = [...ds].filter(([, g]) => g > 0).map(([d]) => d);
    if (pos.length > 0) out.set(q, pos);
  }
  return out;
}

export async function main(argv: string[]): Promise<void> {
  const dataDir = arg(argv, '--data') ?? join(repoRoot, '..', 'shared', 'data', 'debdesc');
  const work = arg(argv, '--work') ?? join('bench-out', 'debdesc-work');
  const out = arg(argv, '--out') ?? 'bench-out';
  const bytes = (arg(argv, '--bytes') ?? '4,10,20').split(',').map(Number);
  const nlist = Number(arg(argv, '--ivf') ?? 1024);
  const nprobe = Number(arg(argv, '--nprobe') ?? 64);
  const epochs = Number(arg(argv, '--epochs') ?? 10);
  const seeds = (arg(argv, '--seeds') ?? '3').split(',').map(Number);
  const methods = (arg(argv, '--methods') ?? 'pq,opq,distill-index,contras-index').split(',') as CompareMethod[];
  const ivfModes = (arg(argv, '--ivf-modes') ?? 'none,ivf').split(',');
  const threads = Number(arg(argv, '--threads') ?? 1);
  const niter = arg(argv, '--opq-niter');
  const points = arg(argv, '--opq-train-points');
  const opq = niter || points ? { niter: niter ? Number(niter) : undefined, maxTrainPoints: points ? Number(points) : undefined } : undefined;
  const labelSearch = (arg(argv, '--label-search') ?? 'index') as 'index' | 'exact';
  const labelNprobe = arg(argv, '--label-nprobe') ?? 'auto';
  const freeze = Object.fromEntries((arg(argv, '--freeze') ?? '').split(',').filter(Boolean).map((k) => {
    if (!['centroids', 'rotation', 'codebooks'].includes(k)) throw new Error(`--freeze: expected centroids, rotation or codebooks, got "${k}"`);
    return [k, true];
  }));
  const labelMining = { method: labelSearch, nprobe: labelNprobe === 'auto' ? ('auto' as const) : Number(labelNprobe) };
  const t0 = performance.now();
  const d = await loadEncoded(dataDir, work);
  const plan = planTraining({ documents: d.docs.rows, trainingQueries: d.train.rows, epochs });
  console.error(`plan: ${plan.reasons.join('; ')}`);
  const input = {
    docs: d.docs, trainQueries: d.train, devQueries: d.dev, devRels: d.devRels, contrasLabels: positives(d.trainRels),
  };
  const all: (CompareRow & { ivf: string; seed: number })[] = [];
  for (const mode of ivfModes) {
    const ivf = mode === 'ivf' ? { nlist, nprobe } : undefined;
    for (const [i, seed] of seeds.entries()) {
      // Unsupervised rows do not depend on the training seed: run them once.
      const ms = i === 0 ? methods : methods.filter((m) => m !== 'pq' && m !== 'opq');
      const rows = await compareQuantizers(input, {
        bytes, epochs, plan, ivf, methods: ms, seed, threads, opq, labelMining, freeze,
        onRow: (r) => {
          console.error(`${mode} seed ${seed} ${r.bytes} B  ${r.method.padEnd(50)} MRR@10 ${r.mrr10.toFixed(3)}  R@100 ${r.recall100.toFixed(3)}${r.trainSeconds !== null ? `  ${r.trainSeconds.toFixed(1)} s` : ''}`);
          if (r.labels) console.error(`    ${describeLabelMining(r.labels)}`);
        },
      });
      for (const r of rows) if (r.kind !== 'dense' || (mode === ivfModes[0] && i === 0)) all.push({ ...r, ivf: mode, seed });
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  // one line per (ivf, bytes, method): the mean over seeds, and the spread
  const groups = new Map<string, (CompareRow & { ivf: string; seed: number })[]>();
  for (const r of all) {
    const key = `${r.ivf}|${r.bytes}|${r.method}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  const spread = (xs: number[]) => (xs.length > 1 ? ` (${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)})` : '');
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const lines = [...groups.values()].map((rs) => {
    const r = rs[0];
    const m = rs.map((x) => x.mrr10);
    const rc = rs.map((x) => x.recall100);
    const ts = rs.map((x) => x.trainSeconds).filter((x): x is number => x !== null);
    return [r.bytes, r.method, `${mean(m).toFixed(3)}${spread(m)}`, `${mean(rc).toFixed(3)}${spread(rc)}`, rs.length, ts.length ? mean(ts).toFixed(0) : ''];
  });
  const md = [
    `# debdesc, glove-100, dev queries (${d.devRels.size} judged); training: ${d.train.rows} train queries, ${plan.epochs} epochs, scope ${plan.docScope}` +
      ` (batch ${plan.batchSize}, ${plan.perQueryNegNum} hard negatives), tau auto; IVF rows: IVF${nlist}, nprobe ${nprobe}; ` +
      `OPQ ${opq?.niter ?? 50} iterations on ${opq?.maxTrainPoints ?? 65536} points; ${threads} thread(s); virtual labels: ${labelSearch}` +
      `${labelSearch === 'index' ? `, nprobe ${labelNprobe}` : ''}`,
    '',
    markdownTable(['bytes', 'method', 'MRR@10', 'R@100', 'seeds', 'train s'], lines),
    '',
    `Learned rows: mean over seeds ${seeds.join(', ')} (min–max in brackets). Total ${seconds.toFixed(0)} s on this machine.`,
  ].join('\n');
  writeReportFile(join(out, 'train-debdesc.json'), JSON.stringify({ dataDir, plan, nlist, nprobe, seeds, seconds, rows: all }, null, 2) + '\n');
  writeReportFile(join(out, 'train-debdesc.md'), md + '\n');
  console.log(md);
}
