/**
 * Nearest-centroid search for small dimensions (PQ sub-spaces: dsub is typically 2..16). The generic
 * tiled kernel spends most of its time in loop overhead when dim is tiny, so for each small dim we
 * generate once a kernel with the dimension loop fully unrolled and the query components in locals.
 * Distances are computed directly as Σ (x − c)², which is also more accurate than the norm expansion.
 */
type SmallAssign = (
  x: Float32Array,
  n: number,
  c: Float32Array,
  k: number,
  labels: Int32Array,
  distances: Float32Array,
) => void;

export const SMALL_DIM_MAX = 16;
const cache = new Map<number, SmallAssign>();

export function smallDimAssign(dim: number): SmallAssign {
  let f = cache.get(dim);
  if (f) return f;
  const loads: string[] = [];
  const terms: string[] = [];
  for (let t = 0; t < dim; t++) {
    loads.push(`const x${t} = x[xo + ${t}];`);
    terms.push(`(x${t} - c[co + ${t}]) * (x${t} - c[co + ${t}])`);
  }
  const body = `
    for (let i = 0; i < n; i++) {
      const xo = i * ${dim};
      ${loads.join('\n')}
      let best = Infinity;
      let arg = -1;
      for (let j = 0, co = 0; j < k; j++, co += ${dim}) {
        const s = ${terms.join(' + ')};
        if (s < best) { best = s; arg = j; }
      }
      labels[i] = arg;
      distances[i] = best;
    }`;
  // The generated source is built only from integers above: no user text reaches it.
  f = new Function('x', 'n', 'c', 'k', 'labels', 'distances', body) as SmallAssign;
  cache.set(dim, f);
  return f;
}
