import * as vega from 'vega';
import * as vl from 'vega-lite';

/** A vega-lite chart specification (what renderSvg draws). */
export type VegaLiteSpec = vl.TopLevelSpec;

/**
 * A vega-lite spec compiled to vega and rendered headless to SVG (no browser, no canvas). The one renderer of the
 * repository: the CLI's charts (demo, training curves) and the benchmarks' (@libvq/cli/plot) all go through it.
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  showDashLegendStrokes(compiled);
  return new vega.View(vega.parse(compiled), { renderer: 'none' }).toSVG();
}

/**
 * vega-lite draws the legend symbols of a line+point layer with stroke 'transparent' (the filled point's style),
 * which leaves a strokeDash legend (one entry per dash pattern) blank: its stroke symbols get a visible colour.
 * Charts without a strokeDash legend are untouched.
 */
function showDashLegendStrokes(compiled: vega.Spec): void {
  for (const legend of compiled.legends ?? []) {
    const update = legend.strokeDash ? legend.encode?.symbols?.update : undefined;
    if (update) update.stroke = { value: '#444' };
  }
}
