// @libvq/cli/plot: the SVG chart renderer, for the repository's benchmarks (which depend on the CLI for it rather
// than carrying a second vega / vega-lite renderer of their own).
export { renderSvg, type VegaLiteSpec } from './render-svg.js';
