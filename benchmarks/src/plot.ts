/**
 * Recall-vs-throughput chart of the GloVe ANN benchmark: a vega-lite spec drawn to SVG by the CLI's renderer
 * (@libvq/cli/plot, the repository's one). One line per system and factory, one point per nprobe, log-scale x.
 */
import { renderSvg, type VegaLiteSpec } from '@libvq/cli/plot';
import { LibvqError } from '@libvq/index-core';

export interface PlotPoint {
  system: string;
  factory: string;
  nprobe: number;
  qps: number;
  /** 10-R@100 in [0, 1]. */
  recall: number;
}

/** The vega-lite spec (exported so tests can check the encoding without rendering). */
export function recallQpsSpec(points: readonly PlotPoint[], title: string): VegaLiteSpec {
  points.forEach((p, i) => {
    if (!(Number.isFinite(p.qps) && p.qps > 0) || !(Number.isFinite(p.recall) && p.recall >= 0 && p.recall <= 1)) {
      throw new LibvqError('INVALID_ARGUMENT', `plot: point ${i} (${p.system} ${p.factory} nprobe ${p.nprobe}) needs qps > 0 and recall in [0, 1], got qps ${p.qps}, recall ${p.recall}`);
    }
  });
  const values = points.map((p) => ({ ...p, series: `${p.system} · ${p.factory}` }));
  const systems = [...new Set(points.map((p) => p.system))];
  const factories = [...new Set(points.map((p) => p.factory))];
  // Tight axes: log x spans the measured q/s (padded by 1.5x each side), y the measured recall band.
  const qps = points.map((p) => p.qps);
  const rec = points.map((p) => p.recall);
  const xDomain = [Math.min(...qps) / 1.5, Math.max(...qps) * 1.5];
  const yDomain = [Math.max(0, Math.floor(Math.min(...rec) * 20 - 1) / 20), Math.min(1, Math.ceil(Math.max(...rec) * 20 + 0.5) / 20)];
  const x = { field: 'qps', type: 'quantitative', title: 'queries/s (log scale, higher is better)', scale: { type: 'log', domain: xDomain, nice: false } } as const;
  const y = { field: 'recall', type: 'quantitative', title: '10-R@100', scale: { domain: yDomain, nice: false } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: 'points are nprobe values (labelled); up and right is better' },
    width: 560,
    height: 360,
    data: { values },
    encoding: { x, y },
    layer: [
      {
        mark: { type: 'line', point: { filled: true, size: 60 }, strokeWidth: 2 },
        encoding: {
          color: { field: 'system', type: 'nominal', sort: systems, title: 'system', legend: { orient: 'right' } },
          strokeDash: {
            field: 'factory',
            type: 'nominal',
            sort: factories,
            title: 'index',
            // A stroke symbol shows the dash pattern (the default circle hides it); long factory strings in full.
            // vega-lite forces its colour transparent; renderSvg makes the strokes of a dash legend visible.
            legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 400, labelLimit: 400 },
          },
          detail: { field: 'series', type: 'nominal' },
          order: { field: 'nprobe', type: 'quantitative' },
          tooltip: [{ field: 'series' }, { field: 'nprobe' }, { field: 'qps', format: '.0f' }, { field: 'recall', format: '.3f' }],
        },
      },
      // nprobe labels: above-right for the first factory, below-right for the others, so series that
      // nearly coincide (IVF-PQ and OPQ at the same nprobe) do not print their labels on top of each other.
      ...factories.map((f, i) => ({
        transform: [{ filter: { field: 'factory', equal: f } }],
        mark: { type: 'text' as const, dx: 7, dy: i === 0 ? -8 : 12, fontSize: 10, align: 'left' as const },
        encoding: { text: { field: 'nprobe', type: 'quantitative' as const }, color: { field: 'system', type: 'nominal' as const, sort: systems } },
      })),
    ],
  };
}

export async function recallQpsSvg(points: readonly PlotPoint[], title: string): Promise<string> {
  if (points.length === 0) throw new LibvqError('INVALID_ARGUMENT', 'plot: no points to draw');
  return renderSvg(recallQpsSpec(points, title));
}

/** Plot points from the ANN report's `results`: one series per system row (its label) and factory, one point per nprobe. */
export function annPoints(results: readonly { factory: string; systems: readonly { label: string; runs: readonly { nprobe: number; qps: number; r10at100: number }[] }[] }[]): PlotPoint[] {
  return results.flatMap((r) =>
    r.systems.flatMap((sys) => sys.runs.map((run) => ({ system: sys.label, factory: r.factory, nprobe: run.nprobe, qps: run.qps, recall: run.r10at100 }))),
  );
}
