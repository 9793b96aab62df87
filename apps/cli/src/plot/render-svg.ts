import * as vega from 'vega';
import * as vl from 'vega-lite';

/** A vega-lite spec compiled to vega and rendered headless to SVG (no browser, no canvas). */
export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  return new vega.View(vega.parse(compiled), { renderer: 'none' }).toSVG();
}
