import { LibvqError } from '@libvq/index-core';
import { renderSvg, type VegaLiteSpec } from './render-svg.js';

/** One training run's curve: the mean training loss of each epoch (FitReport.epochLoss). */
export interface LossCurve {
  name: string;
  epochLoss: readonly number[];
}

/** The vega-lite spec (exported so tests can check the data without rendering). */
export function trainingCurvesSpec(curves: readonly LossCurve[], title: string): VegaLiteSpec {
  if (curves.length === 0) throw new LibvqError('INVALID_ARGUMENT', 'training curves: no training run to plot');
  const values = curves.flatMap((c) =>
    c.epochLoss.map((loss, i) => {
      if (!Number.isFinite(loss)) throw new LibvqError('INVALID_ARGUMENT', `training curves: ${c.name}, epoch ${i + 1}: loss ${loss} is not finite`);
      return { run: c.name, epoch: i + 1, loss };
    }),
  );
  const runs = curves.map((c) => c.name);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: 'mean training loss per epoch (each run on its own loss scale: distill and contrastive differ)' },
    data: { values },
    width: 520,
    height: 300,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
      y: { field: 'loss', type: 'quantitative', title: 'mean training loss', scale: { zero: false } },
      color: { field: 'run', type: 'nominal', sort: runs, title: 'run', legend: { orient: 'bottom', columns: 1, labelLimit: 480 } },
      tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'loss', format: '.4f' }],
    },
  };
}

/** The training curves as an SVG line chart: one line per run. */
export function trainingCurvesSvg(curves: readonly LossCurve[], title: string): Promise<string> {
  return renderSvg(trainingCurvesSpec(curves, title));
}
