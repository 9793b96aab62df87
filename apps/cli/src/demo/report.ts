import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@libvq/index-core/util';
import type { CompareRow } from '@libvq/train';
import { renderSvg, type VegaLiteSpec } from '../plot/render-svg.js';
import { trainingCurvesSvg } from '../plot/training-curves.js';

/** One row of results.json: exactly the fields the demo promises. */
export interface ResultRow {
  method: string;
  bytes: number;
  mrr10: number;
  recall100: number;
  ndcg10: number;
}

export function resultRows(rows: readonly CompareRow[]): ResultRow[] {
  return rows.map((r) => ({ method: r.method, bytes: r.bytes, mrr10: r.mrr10, recall100: r.recall100, ndcg10: r.ndcg10 }));
}

/** The table printed at the end and written to report.md. */
export function markdownTable(rows: readonly CompareRow[]): string {
  const f = (x: number) => x.toFixed(3);
  const lines = ['| bytes/vector | method | MRR@10 | R@100 | nDCG@10 | train s |', '|---|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.bytes} | ${r.method} | ${f(r.mrr10)} | ${f(r.recall100)} | ${f(r.ndcg10)} | ${r.trainSeconds === null ? '' : r.trainSeconds.toFixed(1)} |`);
  return lines.join('\n');
}

const SHORT: Record<CompareRow['kind'], string> = {
  dense: 'dense (float32)',
  pq: 'PQ',
  opq: 'OPQ',
  'distill-index': 'learned: index (distill)',
  'distill-index-reencode': 'learned: index (distill, re-encoded)',
  'contras-index': 'learned: index (contrastive)',
  'distill-encoder': 'learned: index + query encoder (distill)',
  'contras-encoder': 'learned: index + query encoder (contrastive)',
  'distill-encoders': 'learned: index + both encoders (distill)',
  'distill-encoders-nearest': 'learned: index + both encoders (distill, straight-through)',
};

/**
 * A grouped bar chart (vega-lite compiled to vega, rendered headless to SVG): one panel per metric, one
 * group per byte budget, one bar per method; the dense row is its own group as the ceiling.
 */
export async function chartSvg(rows: readonly CompareRow[], title: string): Promise<string> {
  const values = rows.flatMap((r) => {
    const group = r.kind === 'dense' ? `dense (${r.bytes} B)` : `${r.bytes} bytes`;
    return [
      { group, method: SHORT[r.kind], metric: 'MRR@10', value: r.mrr10 },
      { group, method: SHORT[r.kind], metric: 'R@100', value: r.recall100 },
      { group, method: SHORT[r.kind], metric: 'nDCG@10', value: r.ndcg10 },
    ];
  });
  const groups = [...new Set(values.map((v) => v.group))];
  const methods = [...new Set(values.map((v) => v.method))];
  const spec: VegaLiteSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    mark: 'bar',
    width: 260,
    height: 220,
    encoding: {
      column: { field: 'metric', type: 'nominal', sort: ['MRR@10', 'R@100', 'nDCG@10'], title: null },
      x: { field: 'group', type: 'nominal', sort: groups, title: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'method', type: 'nominal', sort: methods },
      y: { field: 'value', type: 'quantitative', title: 'score (dev queries)' },
      color: { field: 'method', type: 'nominal', sort: methods, title: 'method', legend: { orient: 'bottom', columns: 2 } },
      tooltip: [{ field: 'method' }, { field: 'value', format: '.3f' }],
    },
    resolve: { scale: { y: 'independent' } },
  };
  return renderSvg(spec);
}

export interface DemoOutputs {
  results: string;
  report: string;
  chart: string;
  /** The loss curves of the trained rows; null when no row trained. */
  training: string | null;
}

/** Writes results.json, report.md, chart.svg and training.svg (the trained rows' loss curves), each through a temporary name (Ctrl-C never leaves half a file). */
export async function writeDemoOutputs(outDir: string, rows: readonly CompareRow[], header: string): Promise<DemoOutputs> {
  await mkdir(outDir, { recursive: true });
  const paths = { results: join(outDir, 'results.json'), report: join(outDir, 'report.md'), chart: join(outDir, 'chart.svg'), training: join(outDir, 'training.svg') };
  const title = header.split('\n')[0].replace(/^#\s*/, '');
  const svg = await chartSvg(rows, title);
  const trained = rows.filter((r) => r.epochLoss !== null).map((r) => ({ name: `${r.bytes} B · ${r.method}`, epochLoss: r.epochLoss! }));
  const training = trained.length ? await trainingCurvesSvg(trained, title) : null;
  await writeFileAtomic(paths.results, [JSON.stringify({ rows: resultRows(rows) }, null, 2) + '\n']);
  const curves = training ? '\n![training curves](training.svg)\n' : '';
  await writeFileAtomic(paths.report, [`${header}\n\n${markdownTable(rows)}\n\n![chart](chart.svg)\n${curves}`]);
  await writeFileAtomic(paths.chart, [svg]);
  if (training) await writeFileAtomic(paths.training, [training]);
  return { ...paths, training: training ? paths.training : null };
}
